// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Synchronization
import Testing

/// A short chaos run, CI-sized (about 20 s): two fake upstreams flip between normal,
/// blackhole, SERVFAIL, REFUSED, slow and closed under steady query load, and the daemon is
/// restarted once on its persisted cache. The invariants of `scripts/soak.sh`, checked per
/// query: a name that once had an answer never gets SERVFAIL afterwards (its stale data
/// exists), and no query goes unanswered outside the restart.
@Suite("Chaos (short soak)", .timeLimit(.minutes(2)))
struct SoakTests {
    static let names = (0..<24).map { "n\($0).soak.test" }
    /// A broken-domain share of the load: SERVFAIL at both upstreams (even) or never answered (odd).
    static let brokenNames = (0..<4).map { $0 % 2 == 0 ? "b\($0).servfail.broken.soak.test" : "b\($0).silent.broken.soak.test" }

    /// Per-run tallies, shared by the concurrent query tasks.
    final class Tally: Sendable {
        struct Counts {
            var answered = 0
            var servfail = 0
            var lost = 0
            var lostInWindow = 0
            var violations: [String] = []
            var hadAnswer: Set<String> = []
            var brokenAsked = 0
            /// SERVFAIL for ordinary names while a provider was healthy all along (the first
            /// two phases): broken names must not take the healthy provider down.
            var ordinaryServfailWhileHealthy = 0
        }
        let counts = Mutex(Counts())
    }

    @Test("Flipping upstreams and a restart: never SERVFAIL over stale data, nothing lost")
    func chaos() async throws {
        let upstreams = [try await FakeUpstream.start(), try await FakeUpstream.start()]
        let records = try Self.names.enumerated().map { index, name in
            DNSRecord(name: try DNSName(name), type: .a, ttl: 1, data: .a([192, 0, 2, UInt8(1 + index)]))
        }
        for upstream in upstreams {
            upstream.setRecords(records)
            upstream.setBehaviour(.servfail, forNamesUnder: try DNSName("servfail.broken.soak.test"))
            upstream.setBehaviour(.blackhole, forNamesUnder: try DNSName("silent.broken.soak.test"))
        }
        var config = DaemonConfig(upstreams: try upstreams.map { try LoopbackAddress(port: UInt16($0.port)) })
        config.timeoutMs = 300
        config.failureThreshold = 2
        config.probeIntervalS = 1
        config.staleClientTimeoutMs = 400
        config.persist = true
        config.persistIntervalS = 1
        var daemon = try await DaemonProcess.start(config)
        let tally = Tally()

        let phases: [(FakeUpstream.Behaviour, FakeUpstream.Behaviour)] = [
            (.normal, .normal), (.blackhole, .normal), (.blackhole, .blackhole), (.servfail, .refused),
            (.delay(.milliseconds(700)), .delay(.milliseconds(700))), (.normal, .servfail), (.closed, .closed),
            (.refused, .normal), (.blackhole, .servfail), (.normal, .normal),
        ]
        for (index, phase) in phases.enumerated() {
            try await upstreams[0].setBehaviour(phase.0)
            try await upstreams[1].setBehaviour(phase.1)
            if index == 8 {
                // Restart during an outage: the persisted cache must carry the stale answers over.
                let address = daemon.address
                async let load: Void = Self.load(tally, address: address, for: .milliseconds(1500), inWindow: true, healthy: false)
                await daemon.stop()
                daemon = try await DaemonProcess.start(config, directory: daemon.directory, port: daemon.port)
                await load
            }
            await Self.load(tally, address: daemon.address, for: .milliseconds(1500), inWindow: false, healthy: index < 2)
        }
        let exitCode = await daemon.stop()
        for upstream in upstreams { await upstream.shutdown() }

        let counts = tally.counts.withLock { $0 }
        print("short soak: answered \(counts.answered), SERVFAIL \(counts.servfail), lost \(counts.lost) (restart window \(counts.lostInWindow)); broken names asked \(counts.brokenAsked), ordinary SERVFAIL while healthy \(counts.ordinaryServfailWhileHealthy)")
        #expect(exitCode == 0)
        #expect(counts.violations.isEmpty, "\(counts.violations.prefix(10))")
        #expect(counts.lost == counts.lostInWindow, "queries lost outside the restart window")
        #expect(counts.answered > Self.names.count * phases.count)
        #expect(counts.brokenAsked > 0)
        #expect(counts.ordinaryServfailWhileHealthy == 0, "broken names took a healthy provider down")
    }

    /// Passes over every name, 8 queries at a time, one pass per 50 ms, for about `duration`
    /// (at least one pass, at most 60).
    static func load(_ tally: Tally, address: LoopbackAddress, for duration: Duration, inWindow: Bool, healthy: Bool) async {
        let deadline = ContinuousClock.now + duration
        await withTaskGroup(of: Void.self) { group in
            var pending = 0
            for round in 0..<60 {
                if round > 0 && ContinuousClock.now >= deadline { break }
                if round > 0 { try? await Task.sleep(for: .milliseconds(50)) }
                // Every pass asks one broken name among the ordinary ones.
                for name in names + [brokenNames[round % brokenNames.count]] {
                    if pending >= 8 {
                        await group.next()
                        pending -= 1
                    }
                    pending += 1
                    group.addTask { await ask(name, tally: tally, address: address, inWindow: inWindow, healthy: healthy) }
                }
            }
        }
    }

    static func ask(_ name: String, tally: Tally, address: LoopbackAddress, inWindow: Bool, healthy: Bool) async {
        let reply = try? await DNSClient.query(name, .a, to: address, timeout: .seconds(3))
        let broken = name.hasSuffix(".broken.soak.test")
        tally.counts.withLock { counts in
            if broken {
                counts.brokenAsked += 1
                if reply?.rcode == .noError { counts.violations.append("\(name) answered NOERROR") }
                return
            }
            if healthy && reply?.rcode == .serverFailure { counts.ordinaryServfailWhileHealthy += 1 }
            guard let reply else {
                counts.lost += 1
                if inWindow { counts.lostInWindow += 1 }
                return
            }
            counts.answered += 1
            if reply.rcode == .serverFailure {
                counts.servfail += 1
                if counts.hadAnswer.contains(name) { counts.violations.append("SERVFAIL for \(name) after it had an answer") }
            } else if reply.rcode == .noError && !reply.answers.isEmpty {
                counts.hadAnswer.insert(name)
            }
        }
    }
}
