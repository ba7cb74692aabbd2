// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// Issue 21's table, end to end: the real daemon with the shipped upstream defaults
    /// (timeout_ms 1000, hedge_after_ms 250, failure_threshold 3, the retry budget's defaults)
    /// and fake providers on loopback that refuse, drop, slow down or lose datagrams. Each case
    /// asserts what clients see (every new name answered, from one UDP socket that never
    /// retries) and what each upstream received.
    @Suite("OutageShapes", .serialized)
    struct OutageShapes {
        static let address: [UInt8] = [192, 0, 2, 77]

        /// A fake answering every name with `address`.
        static func fake(_ behaviour: FakeUpstream.Behaviour = .normal) async throws -> FakeUpstream {
            let fake = try await FakeUpstream.start(behaviour: behaviour)
            fake.setDefaultIPv4(address)
            return fake
        }

        static func daemon(_ upstreams: [LoopbackAddress], policy: String = "failover") async throws -> DaemonProcess {
            var config = DaemonConfig(upstreams: upstreams)
            config.timeoutMs = 1000  // the shipped defaults (DaemonConfig's own are 500 and 0)
            config.hedgeAfterMs = 250
            config.policy = policy
            return try await DaemonProcess.start(config)
        }

        static func names(_ count: Int, _ prefix: String) -> [(name: String, type: DNSType)] {
            (0..<count).map { ("\(prefix)\($0).shape.test", DNSType.a) }
        }

        static func answered(_ outcomes: [ResilienceBurst.Outcome]) -> Int {
            outcomes.filter { $0.reply?.rcode == .noError && $0.reply?.addresses == [address] }.count
        }

        @Test("Fresh daemon, first provider's port closed, second healthy: 50 new names at once, 50 answered")
        func coldStartFirstProviderRefusing() async throws {
            let closed = LoopbackAddress.v4(try FreePort.closed())
            let healthy = try await Self.fake()
            let daemon = try await Self.daemon([closed, .v4(UInt16(healthy.port))])
            let outcomes = try await ResilienceBurst.run(Self.names(50, "refused"), to: daemon.address, interval: .zero, drain: .seconds(5))
            print("FIGURES cold start, first provider refusing: \(Self.answered(outcomes))/50 answered; second received \(healthy.queryCount)")
            #expect(Self.answered(outcomes) == 50)
            #expect(healthy.queryCount >= 50)
            await daemon.stop()
            await healthy.shutdown()
        }

        @Test("Fresh daemon, first provider silently dropping, second healthy: 50 new names at once, 50 answered")
        func coldStartFirstProviderSilent() async throws {
            let silent = try await Self.fake(.blackhole)
            let healthy = try await Self.fake()
            let daemon = try await Self.daemon([.v4(UInt16(silent.port)), .v4(UInt16(healthy.port))])
            let outcomes = try await ResilienceBurst.run(Self.names(50, "silent"), to: daemon.address, interval: .zero, drain: .seconds(5))
            print("FIGURES cold start, first provider silent: \(Self.answered(outcomes))/50 answered; received \(silent.queryCount) + \(healthy.queryCount)")
            #expect(Self.answered(outcomes) == 50)
            // Each name once at the silent provider (plus its probes), once at the healthy one.
            #expect(silent.queryCount <= 50 + 3)
            #expect(healthy.queryCount <= 50 + 3)
            await daemon.stop()
            await silent.shutdown()
            await healthy.shutdown()
        }

        @Test("First provider dropping, second answering in 1 ms and then after 400 ms: 30 new names at once, 30 answered, second never marked down")
        func slowSecondProvider() async throws {
            let silent = try await Self.fake(.blackhole)
            let slowing = try await Self.fake()
            let daemon = try await Self.daemon([.v4(UInt16(silent.port)), .v4(UInt16(slowing.port))])
            let warm = try await ResilienceBurst.run(Self.names(5, "warm"), to: daemon.address, interval: .milliseconds(20), drain: .seconds(3))
            try #require(Self.answered(warm) == 5)
            try await slowing.setBehaviour(.delay(.milliseconds(400)))
            let outcomes = try await ResilienceBurst.run(Self.names(30, "slow"), to: daemon.address, interval: .zero, drain: .seconds(5))
            let upstreams = try await ResilienceControl.get("/upstreams", socket: daemon.controlSocketPath, as: UpstreamsShape.self)
            print("FIGURES slow second provider: \(Self.answered(outcomes))/30 answered; states \(upstreams.states)")
            #expect(Self.answered(outcomes) == 30)
            #expect(upstreams.states.last == "up", "a server answering within timeout_ms is never marked down")
            await daemon.stop()
            await silent.shutdown()
            await slowing.shutdown()
        }

        @Test("First provider dropping, second answering after 300 ms: 20 new names asked 3 times over 4 s, answered every time")
        func slowAnswersAreNeverFailureCached() async throws {
            let silent = try await Self.fake(.blackhole)
            let slow = try await Self.fake(.delay(.milliseconds(300)))
            let daemon = try await Self.daemon([.v4(UInt16(silent.port)), .v4(UInt16(slow.port))])
            var counts: [Int] = []
            for round in 0..<3 {
                // The same 20 names each round: answered (and cached) in the first, from the cache after.
                let outcomes = try await ResilienceBurst.run(Self.names(20, "again"), to: daemon.address, interval: .zero, drain: .seconds(3))
                counts.append(Self.answered(outcomes))
                if round < 2 { try await Task.sleep(for: .milliseconds(500)) }
            }
            print("FIGURES slow second provider, 3 rounds: \(counts)")
            #expect(counts == [20, 20, 20])
            await daemon.stop()
            await silent.shutdown()
            await slow.shutdown()
        }

        @Test("race: 20 questions in two seconds, every one asked at both providers")
        func raceKeepsRacing() async throws {
            let first = try await Self.fake()
            let second = try await Self.fake()
            let daemon = try await Self.daemon([.v4(UInt16(first.port)), .v4(UInt16(second.port))], policy: "race")
            let outcomes = try await ResilienceBurst.run(Self.names(20, "race"), to: daemon.address, interval: .milliseconds(100), drain: .seconds(2))
            print("FIGURES race: \(Self.answered(outcomes))/20 answered; received \(first.queryCount) + \(second.queryCount)")
            #expect(Self.answered(outcomes) == 20)
            #expect(first.queryCount >= 20 && second.queryCount >= 20)
            await daemon.stop()
            await first.shutdown()
            await second.shutdown()
        }

        @Test("One server behind a path that drops 15 % of datagrams: 60 new names, 60 answered")
        func lossyLoneServer() async throws {
            let lossy = try await Self.fake()
            lossy.setUDPLoss(0.15, seed: 21)
            let daemon = try await Self.daemon([.v4(UInt16(lossy.port))])
            let outcomes = try await ResilienceBurst.run(Self.names(60, "lossy"), to: daemon.address, interval: .milliseconds(1), drain: .seconds(5))
            print("FIGURES 15 % loss, lone server: \(Self.answered(outcomes))/60 answered; received \(lossy.queryCount)")
            #expect(Self.answered(outcomes) == 60)
            await daemon.stop()
            await lossy.shutdown()
        }
    }

    /// The part of `/upstreams` these tests read: each server's state, in config order.
    struct UpstreamsShape: Decodable {
        struct Provider: Decodable {
            struct Server: Decodable { var state: String }
            var servers: [Server]
        }
        var providers: [Provider]
        var states: [String] { providers.flatMap { $0.servers.map(\.state) } }
    }
}
