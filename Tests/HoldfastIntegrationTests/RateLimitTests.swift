// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

/// Issue 8: `server.rate_limit_qps` per client address — over the limit, UDP gets an empty
/// TC=1 answer (a real client retries over TCP; no amplification) and TCP gets REFUSED.
@Suite("Per-client rate limit", .serialized)
struct RateLimitTests {
    static func start() async throws -> DaemonProcess {
        var config = DaemonConfig(upstreams: [])
        config.providers = [.init("none", [.v4(try FreePort.closed())])]
        config.localRecords = [.init("limited.lan", "A", "192.0.2.9")]
        config.rateLimitQPS = 5
        config.rateLimitBurst = 5
        return try await DaemonProcess.start(config)
    }

    @Test func udpOverTheLimitGetsTruncatedStubsNoLargerThanTheQuery() async throws {
        let daemon = try await Self.start()
        var answered = 0
        var truncated = 0
        for index in 0..<30 {
            let query = DNSMessage.makeQuery(
                id: UInt16(index + 1), question: DNSQuestion(name: try DNSName("limited.lan"), type: .a), udpPayloadSize: 1232)
            guard let reply = try await DNSClient.exchangeUDP(query, with: daemon.address, timeout: .seconds(2)) else { continue }
            let message = try DNSMessage(parsing: reply)
            #expect(message.header.id == UInt16(index + 1))
            if message.header.truncated {
                truncated += 1
                #expect(message.answers.isEmpty)
                #expect(reply.count <= query.count)
            } else {
                answered += 1
                #expect(message.answers.first?.data == .a([192, 0, 2, 9]))
            }
        }
        // The burst (5) plus what refills during the loop is answered; the rest is cut.
        #expect(answered >= 5)
        #expect(truncated >= 15, "answered \(answered), truncated \(truncated)")
        #expect(await daemon.stop() == 0)
    }

    @Test func tcpOverTheLimitIsRefused() async throws {
        let daemon = try await Self.start()
        var rcodes: [DNSRCode] = []
        for _ in 0..<20 {
            rcodes.append(try await DNSClient.query("limited.lan", .a, to: daemon.address, over: .tcp).rcode)
        }
        #expect(rcodes.prefix(5).allSatisfy { $0 == .noError })
        #expect(rcodes.filter { $0 == .refused }.count >= 10, "\(rcodes)")
        #expect(await daemon.stop() == 0)
    }
}
