// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// Serve-stale (RFC 8767) and last-known-good through holdfastd, with the fake upstream
    /// switched to a fault after the cache was warmed (SPEC.md: DNS behaviour).
    @Suite("holdfastd serves stale and last-known-good answers", .serialized)
    struct ResilienceStaleTests {
        static let address: [UInt8] = [192, 0, 2, 30]

        /// Warms `names` (TTL 1 s) and returns once every one of them has expired.
        static func warmAndExpire(_ stack: ResilienceStack, _ names: [String]) async throws {
            for name in names {
                let reply = try await stack.ask(name)
                #expect(reply.rcode == .noError && reply.addresses == [address], "warming \(name): \(reply)")
            }
            // Waiting for the TTL to run out is the point.
            try await resilienceSleep(until: ContinuousClock.now + .milliseconds(1300))
        }

        static func start(_ names: [String], configure: (inout DaemonConfig) -> Void = { _ in }) async throws -> ResilienceStack {
            try await ResilienceStack.start(records: try names.map { try .a($0, address, ttl: 1) }, configure: configure)
        }

        @Test("A failing upstream gets stale answers: TTL 30, EDE 3", arguments: [
            FakeUpstream.Behaviour.refused, .servfail, .closed,
        ])
        func staleWhenUpstreamFails(fault: FakeUpstream.Behaviour) async throws {
            let stack = try await Self.start(["old.test"])
            try await Self.warmAndExpire(stack, ["old.test"])
            try await stack.upstream.setBehaviour(fault)
            let before = stack.upstream.queryCount
            let asked = ContinuousClock.now
            let stale = try await stack.ask("old.test")
            print("FIGURES stale/\(fault): first stale answer after \(ContinuousClock.now - asked)")
            #expect(stale.isStaleAnswer(Self.address), "\(stale)")
            if fault != .closed {
                #expect(stack.upstream.queryCount > before, "the refresh was attempted")
            }
            // Without EDNS: the same stale data, no OPT record (so no EDE).
            let plain = try await stack.ask("old.test", edns: false)
            #expect(plain.isStaleAnswer(Self.address, edns: false), "\(plain)")
            let stats = try await stack.stats()
            #expect(stats.cache.stale >= 2, "\(stats.cache)")
            await stack.stop()
        }

        /// Blackholed upstream, `client_timeout_ms` at its default (1800): the first stale answer
        /// for a name comes within it, later ones for that name at once — not another 1.8 s, also
        /// while the refresh is still waiting. Other names get the same bound each, and once the
        /// server failed `failure_threshold` (3) times in a row it is down: stale at once.
        /// Run with an upstream `timeout_ms` below and above the client timeout.
        @Test("A silent upstream: first stale answer within client_timeout_ms, later ones at once",
              arguments: [500, 5000])
        func staleWhenUpstreamIsSilent(upstreamTimeoutMs: Int) async throws {
            let names = (0..<4).map { "quiet\($0).test" }
            let stack = try await Self.start(names) { $0.timeoutMs = upstreamTimeoutMs }
            try await Self.warmAndExpire(stack, names)
            try await stack.upstream.setBehaviour(.blackhole)
            let bound = Duration.milliseconds(1800 + 400)

            var timings: [(name: String, latency: Duration)] = []
            for name in [names[0], names[0], names[0], names[1], names[2], names[3], names[1]] {
                let asked = ContinuousClock.now
                let reply = try await stack.ask(name)
                timings.append((name, ContinuousClock.now - asked))
                #expect(reply.isStaleAnswer(Self.address), "\(name): \(reply)")
            }
            print("FIGURES stale/blackhole timeout_ms=\(upstreamTimeoutMs): \(timings.map { "\($0.name) \($0.latency)" })")
            #expect(timings.allSatisfy { $0.latency <= bound }, "\(timings)")
            // Same name again (the refresh failed or is still silent): at once.
            #expect(timings[1].latency < .milliseconds(500), "\(timings)")
            #expect(timings[2].latency < .milliseconds(500), "\(timings)")
            // quiet0, quiet1, quiet2 failed: the only server is down, quiet3 and quiet1 at once.
            #expect(timings[5].latency < .milliseconds(500), "\(timings)")
            #expect(timings[6].latency < .milliseconds(500), "\(timings)")
            await stack.stop()
        }

        /// The upstream answers after the client timeout: the client got stale data, and the
        /// refresh that went on replaces the entry when it arrives.
        @Test func refreshContinuesAndReplacesTheStaleEntry() async throws {
            let stack = try await Self.start(["slow.test"]) {
                $0.timeoutMs = 5000
                $0.staleClientTimeoutMs = 300
            }
            try await Self.warmAndExpire(stack, ["slow.test"])
            let fresh: [UInt8] = [192, 0, 2, 31]
            stack.upstream.setRecords([try .a("slow.test", fresh, ttl: 300)])
            try await stack.upstream.setBehaviour(.delay(.milliseconds(900)))
            let before = stack.upstream.queryCount
            let started = ContinuousClock.now
            let stale = try await stack.ask("slow.test")
            #expect(stale.isStaleAnswer(Self.address), "\(stale)")
            #expect(ContinuousClock.now - started < .milliseconds(850), "answered stale before the upstream replied")
            #expect(await stack.upstream.waitForQueries(before + 1))
            // The refresh lands ~900 ms after it was sent; then the new data is served fresh.
            var replaced: DNSMessage?
            for _ in 0..<30 {
                try await Task.sleep(for: .milliseconds(100))
                let reply = try await stack.ask("slow.test", timeout: .seconds(2))
                if reply.addresses == [fresh] {
                    replaced = reply
                    break
                }
            }
            let reply = try #require(replaced, "the stale entry was never replaced")
            #expect(reply.rcode == .noError && reply.extendedErrors.isEmpty)
            #expect((reply.answers.first?.ttl ?? 0) > 290)
            await stack.stop()
        }

        enum Flip: String, CaseIterable, Sendable {
            /// Every name NXDOMAIN.
            case nxdomain
            /// NOERROR without the asked type (only an AAAA exists now).
            case emptyNoError
        }

        /// A listed name keeps its last positive answer when upstream turns negative; an unlisted
        /// one passes the new answer through (SPEC.md: Last-known-good).
        @Test("Last-known-good for listed names, pass-through for the others", arguments: Flip.allCases, ["keep.lkg.test", "*.lkg.test"])
        func lastKnownGood(flip: Flip, pattern: String) async throws {
            let listed = "keep.lkg.test"
            let unlisted = "pass.other.test"
            // The collapse guard off for unlisted names (collapse_hold_s = 0): only the list holds.
            let stack = try await Self.start([listed, unlisted]) {
                $0.lastKnownGood = [pattern]
                $0.collapseHoldS = 0
            }
            try await Self.warmAndExpire(stack, [listed, unlisted])
            switch flip {
            case .nxdomain:
                try await stack.upstream.setBehaviour(.nxdomain)
            case .emptyNoError:
                stack.upstream.setRecords([try .aaaa(listed, ttl: 60), try .aaaa(unlisted, ttl: 60)])
            }
            let logMark = stack.daemon.stderr.count
            let before = stack.upstream.queryCount

            let kept = try await stack.ask(listed)
            #expect(kept.isStaleAnswer(Self.address), "\(kept)")
            #expect(stack.upstream.queryCount > before, "upstream was asked")
            let warning = try await stack.daemon.waitForLog(containing: "last known good", from: logMark, timeout: .seconds(5))
            #expect(warning.lowercased().contains("warn"), "\(warning)")
            #expect(warning.contains("keep.lkg.test"), "\(warning)")
            #expect(try await stack.stats().lastKnownGood >= 1)

            let passed = try await stack.ask(unlisted)
            #expect(passed.addresses.isEmpty && passed.extendedErrors.isEmpty, "\(passed)")
            #expect(passed.rcode == (flip == .nxdomain ? .nxDomain : .noError))
            await stack.stop()
        }
    }
}
