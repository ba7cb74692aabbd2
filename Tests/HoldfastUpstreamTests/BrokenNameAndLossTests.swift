// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing
@testable import HoldfastUpstream

/// Server health judges the server, not the names asked of it; lost packets are resent.
/// Real c-ares, fault-injecting fakes on loopback, the shipped defaults (failure_threshold 3,
/// timeout_ms 1000, hedge_after_ms 250) unless a test says otherwise.
@Suite(.serialized) struct BrokenNameTests {
    static let broken = try! DNSName("broken.test")

    /// Two healthy providers; `behaviour` for every name under broken.test at both.
    private func twoProviders(brokenAs behaviour: FakeUpstream.Behaviour) async throws -> ([FakeUpstream], UpstreamPool, RecordingObserver) {
        let fakes = try await startFakes([.normal, .normal])
        for fake in fakes { fake.setBehaviour(behaviour, forNamesUnder: Self.broken) }
        let observer = RecordingObserver()
        let pool = try makePool(makeConfiguration(fakes, timeoutMs: 1000, hedgeAfterMs: 250, failureThreshold: 3), observer: observer)
        return (fakes, pool, observer)
    }

    @Test("Six names that every provider fails, asked one after another, mark nobody down",
          arguments: [FakeUpstream.Behaviour.servfail, .refused])
    func brokenNamesAskedInTurn(behaviour: FakeUpstream.Behaviour) async throws {
        let (fakes, pool, observer) = try await twoProviders(brokenAs: behaviour)
        // A name each server has answered, as on any machine that resolved something before.
        #expect(await pool.resolve(try aQuestion("warm.example"), dnssecOK: false).provider == "p0")
        for index in 0..<6 {
            let result = await pool.resolve(try aQuestion("n\(index).broken.test"), dnssecOK: false)
            #expect(result.error != nil, "a broken name must fail: \(result)")
        }
        try await expectOrdinaryNamesAnsweredByTheFirst(pool, fakes, observer)
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test("Five names no provider ever answers, asked at once, mark nobody down")
    func silentNamesAskedAtOnce() async throws {
        let (fakes, pool, observer) = try await twoProviders(brokenAs: .blackhole)
        #expect(await pool.resolve(try aQuestion("warm.example"), dnssecOK: false).provider == "p0")
        let results = await withTaskGroup(of: UpstreamResult.self) { group in
            for index in 0..<5 {
                group.addTask { await pool.resolve(try! aQuestion("t\(index).broken.test"), dnssecOK: false) }
            }
            return await group.reduce(into: [UpstreamResult]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.error == .timeout }, "\(results)")
        try await expectOrdinaryNamesAnsweredByTheFirst(pool, fakes, observer)
        // Each broken question was sent to both providers and resent while it was young; the
        // probes asked the name each server had answered.
        // warm.example was asked of p0 once by the test; every other query for it is a probe.
        let warm = try DNSName("warm.example")
        let probes = [fakes[0].queryCount(for: warm) - 1, fakes[1].queryCount(for: warm)]
        print("FIGURES silent names: queries per server \(fakes.map(\.queryCount)), probes \(probes)")
        #expect(probes.allSatisfy { $0 >= 1 }, "each suspect server was probed")
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test("A server that is really down is still marked down", arguments: [
        FakeUpstream.Behaviour.blackhole, .refused, .servfail, .closed,
    ])
    func reallyDownServer(behaviour: FakeUpstream.Behaviour) async throws {
        let fakes = try await startFakes([.normal, .normal])
        let observer = RecordingObserver()
        let pool = try makePool(makeConfiguration(fakes, timeoutMs: 1000, hedgeAfterMs: 250, failureThreshold: 3), observer: observer)
        #expect(await pool.resolve(try aQuestion("warm.example"), dnssecOK: false).provider == "p0")
        try await fakes[0].setBehaviour(behaviour)  // everything fails now, the probe's name too
        let started = ContinuousClock.now
        for index in 0..<3 {
            let result = await pool.resolve(try aQuestion("q\(index).example"), dnssecOK: false)
            #expect(result.provider == "p1", "failed over: \(result)")
        }
        #expect(await observer.waitFor(server: "127.0.0.1:\(fakes[0].port)", isUp: false, timeout: .seconds(3)))
        print("FIGURES really down (\(behaviour)): marked down \((ContinuousClock.now - started).ms) ms after the outage began")
        let before = fakes[0].queryCount
        #expect(await pool.resolve(try aQuestion("after.example"), dnssecOK: false).provider == "p1")
        #expect(fakes[0].queryCount == before, "a down server is not asked")
        pool.shutdown()
        await stopFakes(fakes)
    }

    /// Once the probes settled: five ordinary names answered by the first provider, every
    /// server up, and no server ever changed state.
    private func expectOrdinaryNamesAnsweredByTheFirst(
        _ pool: UpstreamPool, _ fakes: [FakeUpstream], _ observer: RecordingObserver,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await settle(pool, fakes)
        for index in 0..<5 {
            let result = await pool.resolve(try aQuestion("ok\(index).example"), dnssecOK: false)
            #expect(result.provider == "p0", "ordinary name \(index): \(result)", sourceLocation: sourceLocation)
        }
        #expect(pool.status().allSatisfy { $0.servers.allSatisfy(\.isUp) }, sourceLocation: sourceLocation)
        #expect(observer.changes.isEmpty, "no server changed state: \(observer.changes)", sourceLocation: sourceLocation)
    }

    /// Waits until no probe is in flight (so health has settled), bounded.
    private func settle(_ pool: UpstreamPool, _ fakes: [FakeUpstream]) async throws {
        let deadline = ContinuousClock.now + .seconds(3)
        var last = fakes.map(\.queryCount)
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let now = fakes.map(\.queryCount)
            if now == last { return }
            last = now
        }
    }
}

@Suite(.serialized) struct RetransmissionTests {
    @Test("A lone server that loses every name's first packet answers every name, once resent")
    func firstPacketLostForEveryName() async throws {
        let fakes = try await startFakes([.normal])
        let observer = RecordingObserver()
        // Every name needs a resend, more than the default retry budget's 20 % (and 10/s floor)
        // allows at this pace: a budget of 100 % lets each question have its one extra attempt.
        let pool = try makePool(
            makeConfiguration(fakes, timeoutMs: 1000, hedgeAfterMs: 250, failureThreshold: 3, retryBudgetPercent: 100),
            observer: observer)
        fakes[0].setDropFirstQueryPerName(true)
        for index in 0..<20 {
            let (result, elapsed) = await timed { await pool.resolve(try! aQuestion("lost\(index).example"), dnssecOK: false) }
            #expect(result.provider == "p0", "name \(index): \(result) after \(elapsed.ms) ms")
            #expect(elapsed < .milliseconds(1000), "answered by the resend, not after timeout_ms")
        }
        #expect(fakes[0].droppedCount == 20)
        // Each name: the lost query and its resend; at most one probe (of a name answered
        // before) per silence on top.
        for index in 0..<20 {
            #expect(fakes[0].queryCount(for: try DNSName("lost\(index).example")) >= 2)
        }
        #expect(fakes[0].queryCount <= 60)
        #expect(pool.status()[0].servers[0].isUp)
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test("60 new names over a path that drops 15 % of UDP queries: 60 answers")
    func fifteenPercentLoss() async throws {
        let fakes = try await startFakes([.normal])
        let pool = try makePool(makeConfiguration(fakes, timeoutMs: 1000, hedgeAfterMs: 250, failureThreshold: 3))
        fakes[0].setUDPLoss(0.15, seed: 7)
        var worst = Duration.zero
        var answered = 0
        for index in 0..<60 {
            let (result, elapsed) = await timed { await pool.resolve(try! aQuestion("n\(index).lossy.example"), dnssecOK: false) }
            if result.provider == "p0" { answered += 1 } else { Issue.record("name \(index): \(result)") }
            worst = max(worst, elapsed)
        }
        print("FIGURES 15 % loss, lone server: \(answered)/60 answered, \(fakes[0].droppedCount) queries lost, slowest \(worst.ms) ms")
        #expect(answered == 60)
        #expect(fakes[0].droppedCount > 0, "the path really lost packets")
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test("5,000 misses with 512 outstanding at one healthy server: every one answered, the server stays up")
    func burstOfMissesAtOneServer() async throws {
        let fakes = try await startFakes([.normal])
        let observer = RecordingObserver()
        let pool = try makePool(makeConfiguration(fakes, timeoutMs: 1000, hedgeAfterMs: 250, failureThreshold: 3), observer: observer)
        let total = 5000, outstanding = 512
        let results = await withTaskGroup(of: String.self) { group in
            func add(_ index: Int) {
                group.addTask {
                    let result = await pool.resolve(try! aQuestion("b\(index).burst.example"), dnssecOK: false)
                    return result.provider == "p0" ? "answer" : "\(result)"
                }
            }
            for index in 0..<outstanding { add(index) }  // dnsperf -q 512: a new one as each ends
            var next = outstanding
            var tally: [String: Int] = [:]
            while let result = await group.next() {
                tally[result, default: 0] += 1
                if next < total {
                    add(next)
                    next += 1
                }
            }
            return tally
        }
        print("FIGURES burst: \(results), upstream received \(fakes[0].queryCount), status \(pool.status()[0].servers[0])")
        #expect(results == ["answer": total])
        #expect(observer.changes.isEmpty, "no state change: \(observer.changes)")
        #expect(pool.status()[0].servers[0].isUp)
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test("A slow lone server (answers after 600 ms, past its RTO) answers every question")
    func slowLoneServer() async throws {
        let fakes = try await startFakes([.delay(.milliseconds(600))])
        let pool = try makePool(makeConfiguration(fakes, timeoutMs: 1500, hedgeAfterMs: 250, failureThreshold: 3))
        for index in 0..<4 {
            let result = await pool.resolve(try aQuestion("slow\(index).example"), dnssecOK: false)
            #expect(result.provider == "p0", "\(result)")
        }
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test("Under total silence the retry budget caps extra attempts at its share and reserve, not a storm")
    func budgetCapsResendsWhenEverythingIsSilent() async throws {
        let fakes = try await startFakes([.blackhole, .blackhole])
        let observer = RecordingObserver()
        // Threshold high so the servers stay up and every question keeps trying them.
        let pool = try makePool(makeConfiguration(fakes, timeoutMs: 400, hedgeAfterMs: 50, failureThreshold: 1000), observer: observer)
        let questions = 100
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<questions {
                group.addTask { _ = await pool.resolve(try! aQuestion("s\(index).silent.example"), dnssecOK: false) }
            }
        }
        let elapsed = ContinuousClock.now - started
        let sent = fakes.map(\.queryCount).reduce(0, +)
        let probes = 2  // at most one per server in flight; a few over the run
        print("FIGURES total silence: \(questions) questions sent \(sent) upstream queries in \(elapsed.ms) ms, budget refused \(observer.budgetRefusals)")
        // Without the budget every question would hedge and resend 3-4 times (>= 400 queries).
        // With it: the first attempts, plus extras within 20 % of the questions and the reserve
        // (100 at start, refilled at 10 a second). Moving on after a failure (timeout_ms of
        // silence) goes only to a server not yet asked: here both were, by the hedge.
        #expect(sent <= questions + questions / 5 + 100 + 10 * (Int(elapsed.ms / 1000) + 1) + probes * 10)
        #expect(observer.budgetRefusals > 0)
        pool.shutdown()
        await stopFakes(fakes)
    }
}
