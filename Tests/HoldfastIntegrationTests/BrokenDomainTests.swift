// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// Issue 12, from outside: the daemon with the shipped upstream defaults (timeout_ms 1000,
    /// hedge_after_ms 250, failure_threshold 3) and fault-injecting fakes on loopback. Names under
    /// broken.test fail at every provider; everything else is answered at once.
    @Suite("BrokenDomains", .serialized)
    struct BrokenDomains {
        static let broken = try! DNSName("broken.test")
        static let address: [UInt8] = [192, 0, 2, 44]

        struct UpstreamsView: Decodable {
            struct Provider: Decodable {
                struct Server: Decodable {
                    var state: String
                    var consecutiveFailures: Int
                    enum CodingKeys: String, CodingKey {
                        case state
                        case consecutiveFailures = "consecutive_failures"
                    }
                }
                var servers: [Server]
            }
            var providers: [Provider]
        }

        struct FailureStats: Decodable {
            var failureCacheHits: UInt64
            enum CodingKeys: String, CodingKey { case failureCacheHits = "failure_cache_hits" }
        }

        /// Two healthy providers A and B ("p1", "p2"), `brokenAs` for names under broken.test at both.
        static func start(brokenAs behaviour: FakeUpstream.Behaviour) async throws -> (DaemonProcess, [FakeUpstream]) {
            var fakes: [FakeUpstream] = []
            for _ in 0..<2 {
                let fake = try await FakeUpstream.start()
                fake.setDefaultIPv4(address)
                fake.setBehaviour(behaviour, forNamesUnder: broken)
                fakes.append(fake)
            }
            var config = DaemonConfig(upstreams: fakes.map { .v4(UInt16($0.port)) })
            config.timeoutMs = 1000
            config.hedgeAfterMs = 250
            let daemon = try await DaemonProcess.start(config)
            return (daemon, fakes)
        }

        static func ask(_ daemon: DaemonProcess, _ name: String) async throws -> DNSMessage {
            try await DNSClient.query(name, .a, to: daemon.address, udpPayloadSize: 1232, timeout: .seconds(5))
        }

        /// Waits (bounded) until every server's probe has been answered: no failures counted.
        static func settle(_ daemon: DaemonProcess) async throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                let view = try await ResilienceControl.get("/upstreams", socket: daemon.controlSocketPath, as: UpstreamsView.self)
                if view.providers.allSatisfy({ $0.servers.allSatisfy { $0.consecutiveFailures == 0 } }) { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("the suspect servers' probes were not answered within 5 s")
        }

        static func allUp(_ daemon: DaemonProcess) async throws -> Bool {
            let view = try await ResilienceControl.get("/upstreams", socket: daemon.controlSocketPath, as: UpstreamsView.self)
            return view.providers.allSatisfy { $0.servers.allSatisfy { $0.state == "up" } }
        }

        @Test("Six names both providers SERVFAIL, asked in turn, leave both up; ordinary names are answered by the first",
              arguments: [FakeUpstream.Behaviour.servfail, .refused])
        func brokenNamesInTurn(behaviour: FakeUpstream.Behaviour) async throws {
            let (daemon, fakes) = try await Self.start(brokenAs: behaviour)
            #expect(try await Self.ask(daemon, "warm.example").rcode == .noError)
            for index in 0..<6 {
                let answer = try await Self.ask(daemon, "n\(index).broken.test")
                #expect(answer.rcode == .serverFailure)
                #expect(answer.edns?.extendedErrorCodes == [ExtendedDNSError.noReachableAuthority])
            }
            try await Self.settle(daemon)  // the last broken name's probes are answered
            let secondBefore = fakes[1].queryCount
            for index in 0..<5 {
                let answer = try await Self.ask(daemon, "ok\(index).example")
                #expect(answer.rcode == .noError, "ordinary name \(index): \(answer.rcode)")
                #expect(answer.answers.first?.data == .a(Self.address))
            }
            #expect(fakes[1].queryCount == secondBefore, "the first provider answered the ordinary names")
            #expect(try await Self.allUp(daemon))
            await daemon.stop()
            for fake in fakes { await fake.shutdown() }
        }

        @Test("Five names no provider answers, asked at once, leave both up; ordinary names are answered afterwards")
        func silentNamesAtOnce() async throws {
            let (daemon, fakes) = try await Self.start(brokenAs: .blackhole)
            #expect(try await Self.ask(daemon, "warm.example").rcode == .noError)
            let rcodes = try await withThrowingTaskGroup(of: DNSRCode.self) { group in
                for index in 0..<5 { group.addTask { try await Self.ask(daemon, "t\(index).broken.test").rcode } }
                return try await group.reduce(into: [DNSRCode]()) { $0.append($1) }
            }
            #expect(rcodes == Array(repeating: .serverFailure, count: 5))
            for index in 0..<5 {
                let answer = try await Self.ask(daemon, "ok\(index).example")
                #expect(answer.rcode == .noError, "ordinary name \(index): \(answer.rcode)")
            }
            #expect(try await Self.allUp(daemon))
            await daemon.stop()
            for fake in fakes { await fake.shutdown() }
        }

        @Test("One broken name asked 20 times in 2 s is sent upstream as one question; ordinary names mixed in are answered")
        func failureCacheFromOutside() async throws {
            let (daemon, fakes) = try await Self.start(brokenAs: .servfail)
            #expect(try await Self.ask(daemon, "warm.example").rcode == .noError)
            let name = try DNSName("www.broken.test")
            for round in 0..<20 {
                let answer = try await Self.ask(daemon, "www.broken.test")
                #expect(answer.rcode == .serverFailure)
                #expect(answer.edns?.extendedErrorCodes == [ExtendedDNSError.noReachableAuthority])
                let ordinary = try await Self.ask(daemon, "mixed\(round).example")
                #expect(ordinary.rcode == .noError, "ordinary name \(round) while the broken one is asked")
                try await Task.sleep(for: .milliseconds(100))
            }
            let sent = fakes.map { $0.queryCount(for: name) }
            print("FIGURES broken name asked 20 times in 2 s: sent upstream \(sent) (A, B)")
            // One question's attempts: A, then B. (The failure TTL is 5 s, longer than the run.)
            #expect(sent == [1, 1])
            let stats = try await ResilienceControl.get("/stats", socket: daemon.controlSocketPath, as: FailureStats.self)
            #expect(stats.failureCacheHits == 19)
            #expect(try await Self.allUp(daemon))
            await daemon.stop()
            for fake in fakes { await fake.shutdown() }
        }

        @Test("A lone upstream over a path that drops 15 % of UDP queries: 60 new names, 60 answers")
        func lossyLoneUpstream() async throws {
            let fake = try await FakeUpstream.start()
            fake.setDefaultIPv4(Self.address)
            fake.setUDPLoss(0.15, seed: 12)
            var config = DaemonConfig(upstreams: [.v4(UInt16(fake.port))])
            config.timeoutMs = 1000
            config.hedgeAfterMs = 250
            let daemon = try await DaemonProcess.start(config)
            var answered = 0
            var slowest = Duration.zero
            for index in 0..<60 {
                let started = ContinuousClock.now
                let answer = try await Self.ask(daemon, "n\(index).lossy.example")
                slowest = max(slowest, ContinuousClock.now - started)
                if answer.rcode == .noError && answer.answers.first?.data == .a(Self.address) {
                    answered += 1
                } else {
                    Issue.record("name \(index): \(answer.rcode)")
                }
            }
            print("FIGURES 15 % UDP loss, lone upstream: \(answered)/60 answered, \(fake.droppedCount) queries lost, slowest \(slowest)")
            #expect(answered == 60)
            #expect(fake.droppedCount > 0)
            await daemon.stop()
            await fake.shutdown()
        }
    }
}
