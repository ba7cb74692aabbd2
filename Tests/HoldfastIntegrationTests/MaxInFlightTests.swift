// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// Issue 23: `upstream.max_in_flight` bounds the questions waiting on upstreams, so a flood
    /// of unique names cannot grow memory without end (dnsmasq's `dns-forward-max`).
    @Suite("upstream.max_in_flight", .serialized)
    struct MaxInFlight {
        struct Counters: Decodable {
            var in_flight_limited: Int
        }

        @Test("Beyond max_in_flight a new miss gets SERVFAIL at once and nothing is sent upstream; counted in /stats and /metrics")
        func boundsQuestionsWaitingUpstream() async throws {
            let upstream = try await FakeUpstream.start()
            var config = DaemonConfig(upstreams: [.v4(UInt16(upstream.port))])
            config.maxInFlight = 5
            config.timeoutMs = 4000
            config.staleClientTimeoutMs = 3000
            let daemon = try await DaemonProcess.start(config)
            try await upstream.setBehaviour(.blackhole)

            // Five questions the upstream never answers fill the bound.
            let waiting = (0..<5).map { index in
                Task { try? await DNSClient.query("wait\(index).test", .a, to: daemon.address, timeout: .seconds(6)) }
            }
            #expect(await upstream.waitForQueries(5), "the five questions reached the upstream")

            // A sixth is answered at once, SERVFAIL, and never sent.
            let started = ContinuousClock.now
            let refused = try await DNSClient.query("over.test", .a, to: daemon.address, timeout: .seconds(3))
            #expect(refused.rcode == .serverFailure)
            #expect(ContinuousClock.now - started < .milliseconds(1000), "at once, not after a timeout")
            #expect(upstream.queryCount(for: try DNSName("over.test")) == 0, "the question over the bound was never sent")
            let counters = try await ResilienceControl.get("/stats", socket: daemon.controlSocketPath, as: Counters.self)
            #expect(counters.in_flight_limited == 1)
            #expect(try await daemon.metricLines("holdfast_upstream_in_flight_limited_total").contains { $0.hasSuffix(" 1") })
            for task in waiting { task.cancel() }
            await daemon.stop()
        }
    }
}
