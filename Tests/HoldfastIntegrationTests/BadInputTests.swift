// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

/// Black-box bad input (SPEC "DNS behaviour", last rule): a running holdfastd is flooded with
/// malformed UDP packets and abused over TCP, and must keep answering correctly, keep its
/// memory bounded, never answer a UDP client with more than its EDNS size allows, and not
/// flood its log. Every loop is bounded in count and time.
@Suite("Bad input (black box)", .timeLimit(.minutes(2)))
struct BadInputTests {
    /// A daemon in front of a fake upstream with a small and a large answer, with a low TCP
    /// connection cap and idle timeout so the abuse tests reach them quickly.
    struct Target {
        let upstream: FakeUpstream
        let daemon: DaemonProcess
        static let www = "www.example.test"
        static let big = "big.example.test"
        static let tcpMaxConnections = 8
        static let tcpIdleTimeoutMs = 1500

        static func start() async throws -> Target {
            let upstream = try await FakeUpstream.start()
            let bigText = (0..<20).map { index in Array(String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: 200).utf8) }
            upstream.setRecords([
                DNSRecord(name: try DNSName(www), type: .a, ttl: 300, data: .a([192, 0, 2, 1])),
                DNSRecord(name: try DNSName(big), type: .txt, ttl: 300, data: .txt(bigText)),
            ])
            let config = DaemonConfig(upstreams: [try LoopbackAddress(port: UInt16(upstream.port))])
            let directory = try TemporaryDirectory(prefix: "holdfast-badinput")
            var lastError: any Error = BadInputFailure("daemon did not start")
            for _ in 0..<3 {
                let text = config.render(port: 0, directory: directory.path).replacingOccurrences(
                    of: "[server]\n",
                    with: "[server]\ntcp_max_connections = \(tcpMaxConnections)\ntcp_idle_timeout_ms = \(tcpIdleTimeoutMs)\n")
                let daemon = try DaemonProcess.launchProcess(configText: text, directory: directory)
                do {
                    try await daemon.waitUntilReady()
                    return Target(upstream: upstream, daemon: daemon)
                } catch {
                    lastError = error
                    await daemon.stop(grace: .seconds(2))
                }
            }
            await upstream.shutdown()
            throw lastError
        }

        func stop() async {
            await daemon.stop()
            await upstream.shutdown()
        }

        var pid: pid_t { daemon.process.pid }

        /// The daemon still answers both names correctly over UDP and TCP.
        func expectHealthy(_ context: String) async throws {
            #expect(!daemon.process.hasExited, "daemon exited (\(context))")
            for transport in [DNSClient.Transport.udp, .tcp] {
                let reply = try await DNSClient.query(Self.www, .a, to: daemon.address, over: transport)
                #expect(reply.rcode == .noError && reply.answers.map(\.data) == [.a([192, 0, 2, 1])],
                        "\(context): \(transport) answer \(reply)")
            }
            let full = try await DNSClient.query(Self.big, .txt, to: daemon.address, over: .tcp)
            #expect(full.answers.count == 1 && !full.header.truncated, "\(context): big TXT over TCP \(full)")
        }
    }

    @Test("Thousands of malformed UDP packets: no crash, right rcodes, no amplification, no log flood")
    func malformedUDPFlood() async throws {
        let target = try await Target.start()
        try await target.expectHealthy("before")
        let rssBefore = BadInputSockets.residentKiB(pid: target.pid) ?? 0
        let logBefore = target.daemon.stderr.count

        var generator = BadPacketGenerator(seed: 0x5EED_F00D, names: [try DNSName(Target.big), try DNSName(Target.www)])
        let packets = (0..<4000).map { generator.packet(index: $0) }
        var byID: [UInt16: BadPacketGenerator.Packet] = [:]
        for packet in packets where packet.bytes.count >= 2 { byID[packet.id] = packet }
        let replies = try await BadInputSockets.flood(packets.map(\.bytes), to: target.daemon.port)

        var perKind: [String: Int] = [:]
        for reply in replies {
            let message: DNSMessage
            do {
                message = try DNSMessage(parsing: reply)
            } catch {
                Issue.record("unparseable reply \(reply.prefix(32)): \(error)")
                continue
            }
            #expect(message.header.isResponse)
            guard let packet = byID[message.header.id] else {
                Issue.record("reply with an ID nobody sent: \(message.header.id)")
                continue
            }
            perKind["\(packet.kind)", default: 0] += 1
            #expect(!packet.kind.mustDrop, "answered a \(packet.kind) packet: \(message)")
            // No amplification: never more than the client's EDNS size (capped) or 512.
            let limit = (try? ParsedQuery(bytes: packet.bytes))?.udpResponseLimit() ?? 512
            #expect(reply.count <= limit, "\(packet.kind): \(reply.count) bytes for a client allowing \(limit)")
            switch packet.kind {
            case .unknownOpcode:
                #expect(message.rcode == .notImplemented || message.rcode == .formatError, "\(message)")
            case .badEDNSVersion:
                #expect(message.rcode == .badVersion, "\(message)")
            case .wrongQuestionCount, .compressionLoop, .overlongLabel, .overlongName, .doubleOPT, .trailingGarbage:
                #expect(message.rcode == .formatError, "\(packet.kind): \(message)")
            case .hugeEDNS:
                #expect(reply.count <= 1232 && (message.header.truncated || message.answers.isEmpty), "\(message)")
            default:
                break
            }
        }
        // Most malformed queries deserve an answer (FORMERR/NOTIMP/BADVERS); check we got them.
        #expect(replies.count > packets.count / 3, "only \(replies.count) replies to \(packets.count) packets: \(perKind)")

        try await target.expectHealthy("after the UDP flood")
        let rssAfter = BadInputSockets.residentKiB(pid: target.pid) ?? .max
        print("bad-input flood: \(packets.count) packets, \(replies.count) replies \(perKind.sorted { $0.key < $1.key }), RSS \(rssBefore) → \(rssAfter) KiB, \(target.daemon.stderr.count - logBefore) log lines")
        #expect(rssAfter < rssBefore + 64 * 1024, "RSS grew from \(rssBefore) KiB to \(rssAfter) KiB")
        let logLines = target.daemon.stderr.count - logBefore
        #expect(logLines < 50, "\(logLines) log lines for \(packets.count) bad packets:\n\(target.daemon.stderr.all.suffix(10).joined(separator: "\n"))")
        await target.stop()
    }

    @Test("UDP answers never exceed the client's EDNS size; TCP gets the whole answer",
          arguments: [nil, 512, 1000, 1232, 4096, 65_535] as [UInt16?])
    func noAmplification(ednsSize: UInt16?) async throws {
        let target = try await Target.start()
        let reply = try await DNSClient.exchangeUDP(
            DNSMessage.makeQuery(id: 77, question: DNSQuestion(name: try DNSName(Target.big), type: .txt), udpPayloadSize: ednsSize),
            with: target.daemon.address)
        let bytes = try #require(reply)
        let limit = ednsSize.map { min(max(Int($0), 512), 1232) } ?? 512
        #expect(bytes.count <= limit)
        let message = try DNSMessage(parsing: bytes)
        #expect(message.header.truncated, "a 4 KB answer must be cut to TC=1 over UDP")
        #expect((message.edns != nil) == (ednsSize != nil))
        let tcp = try await DNSClient.query(Target.big, .txt, to: target.daemon.address, over: .tcp, udpPayloadSize: ednsSize)
        #expect(!tcp.header.truncated && tcp.answers.count == 1)
        await target.stop()
    }

    @Test("Abusive TCP: lying lengths, byte-at-a-time, idle and half-open connections past the cap")
    func abusiveTCP() async throws {
        let target = try await Target.start()
        let port = target.daemon.port
        let rssBefore = BadInputSockets.residentKiB(pid: target.pid) ?? 0
        let logBefore = target.daemon.stderr.count
        let query = DNSMessage.makeQuery(id: 0x4242, question: DNSQuestion(name: try DNSName(Target.www), type: .a))

        // A byte-at-a-time client still gets its answer.
        let slow = try await BadInputSockets.connectTCP(port: port)
        for byte in DNSClient.framed(query) {
            await slow.write([byte])
            try await Task.sleep(for: .milliseconds(10))
        }
        let slowReply = try #require(await slow.readMessage(), "byte-at-a-time client got no answer")
        #expect(try DNSMessage(parsing: slowReply).answers.map(\.data) == [.a([192, 0, 2, 1])])

        // Frames that lie: shorter than a header, declared longer than what follows, garbage.
        let runt = try await BadInputSockets.connectTCP(port: port)
        await runt.write([0, 3, 1, 2, 3] + DNSClient.framed(query))
        let afterRunt = try #require(await runt.readMessage(), "a runt frame must not kill the connection's next query")
        #expect(try DNSMessage(parsing: afterRunt).header.id == 0x4242)
        var generator = BadPacketGenerator(seed: 7, names: [try DNSName(Target.www)])
        var liars: [RawTCP] = []
        for index in 0..<20 {
            let liar = try await BadInputSockets.connectTCP(port: port, receiveTimeout: .seconds(5))
            let bad = generator.packet(index: index).bytes
            await liar.write([0xFF, 0xFF] + bad)  // says 65 535 bytes, sends a few
            liars.append(liar)
            if liars.count >= Target.tcpMaxConnections / 2 {
                // The server must give up on them (idle timeout), not wait forever.
                for liar in liars { #expect(await liar.closedByServer(), "a connection with a lying length stayed open") }
                liars.removeAll()
            }
        }
        for liar in liars { #expect(await liar.closedByServer()) }

        // Fill the cap with idle and half-open connections, then some more.
        var held: [RawTCP] = []
        for index in 0..<(Target.tcpMaxConnections + 6) {
            let connection = try await BadInputSockets.connectTCP(port: port, receiveTimeout: .seconds(5))
            switch index % 3 {
            case 0: break                                         // idle, says nothing
            case 1: await connection.write([0, 40, 0x12])         // half a frame, then silence
            default: connection.shutdownWrite()                   // half-closed by the client
            }
            held.append(connection)
        }
        // UDP keeps working while TCP is saturated.
        let udp = try await DNSClient.query(Target.www, .a, to: target.daemon.address, over: .udp)
        #expect(udp.answers.count == 1)
        // Every held connection is closed by the server within a bounded time (cap or idle).
        let started = ContinuousClock.now
        for connection in held { #expect(await connection.closedByServer(), "a held connection was never closed") }
        #expect(ContinuousClock.now - started < .seconds(8))
        held.removeAll()
        // And then TCP serves again.
        try await target.expectHealthy("after the TCP abuse")

        let rssAfter = BadInputSockets.residentKiB(pid: target.pid) ?? .max
        #expect(rssAfter < rssBefore + 64 * 1024, "RSS grew from \(rssBefore) KiB to \(rssAfter) KiB")
        let logLines = target.daemon.stderr.count - logBefore
        #expect(logLines < 50, "\(logLines) log lines:\n\(target.daemon.stderr.all.suffix(10).joined(separator: "\n"))")
        await target.stop()
    }

    /// `tcp_idle_timeout_ms`: a TCP connection with no complete query for this long is closed,
    /// even when a client keeps dripping bytes of a frame it never finishes (otherwise
    /// `tcp_max_connections` such clients would close TCP to everyone).
    @Test("A slow drip of bytes does not keep a connection slot forever")
    func slowDripIsCut() async throws {
        try await slowDrip()
    }

    private func slowDrip() async throws {
        let target = try await Target.start()
        let drip = try await BadInputSockets.connectTCP(port: target.daemon.port, receiveTimeout: .milliseconds(200))
        // Never completes a frame; one byte every 400 ms (faster than the idle timeout).
        await drip.write([0x01])
        let deadline = ContinuousClock.now + .milliseconds(Target.tcpIdleTimeoutMs * 4)
        var closed = false
        while ContinuousClock.now < deadline && !closed {
            try await Task.sleep(for: .milliseconds(400))
            let written = await drip.write([0x00])
            closed = !written
            if !closed { closed = await drip.closedByServer() }
        }
        #expect(closed, "a client dripping one byte per 400 ms kept its connection past \(Target.tcpIdleTimeoutMs * 4) ms (tcp_idle_timeout_ms = \(Target.tcpIdleTimeoutMs): 'no complete query for this long')")
        await target.stop()
    }
}

struct BadInputFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
