// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import HoldfastUpstream

/// The question state machine on a manual clock with scripted servers: every policy, hedging
/// and retransmission case without a socket, in milliseconds.
@Suite struct QuestionMachineTests {
    /// Candidates the test marks up or down and gives RTOs.
    struct Servers: QuestionMachine.Servers {
        var usable: [Bool]
        var rtos: [Duration]
        /// Extra attempts the retry budget still allows (a class, so spending is seen by the test).
        final class Budget { var left = Int.max; var refused = 0 }
        var budget = Budget()
        /// Candidates reached over a stream (TLS): never resent to on silence.
        var streams: Set<Int> = []
        /// Candidates being checked by a probe: asked after the others.
        var suspect: Set<Int> = []
        init(_ count: Int, rto: Duration = .milliseconds(50)) {
            usable = Array(repeating: true, count: count)
            rtos = Array(repeating: rto, count: count)
        }
        func isUsable(_ candidate: Int) -> Bool { usable[candidate] }
        func isSuspect(_ candidate: Int) -> Bool { suspect.contains(candidate) }
        func rto(_ candidate: Int) -> Duration { rtos[candidate] }
        func resendsToSameServer(_ candidate: Int) -> Bool { !streams.contains(candidate) }
        func allowExtraAttempt() -> Bool {
            guard budget.left > 0 else { budget.refused += 1; return false }
            budget.left -= 1
            return true
        }
    }

    let t0 = ContinuousClock.now

    func machine(_ policy: UpstreamConfiguration.Policy = .failover, providers: [String], hedge: Duration? = .milliseconds(250),
                 timeout: Duration = .milliseconds(1000)) -> QuestionMachine {
        QuestionMachine(settings: .init(policy: policy, timeout: timeout, hedgeAfter: hedge), providers: providers, started: t0)
    }

    @Test func failoverAsksTheFirstServerAndArmsTheHedge() {
        var question = machine(providers: ["a", "a", "b"])
        #expect(question.start(now: t0, servers: Servers(3)) == [
            .send(attempt: 0, candidate: 0, rto: .milliseconds(50)), .armHedge(after: .milliseconds(250)),
        ])
        #expect(question.answered(attempt: 0) == [.answered(attempt: 0)])
        #expect(question.isFinished)
    }

    @Test func aFailureMovesToTheNextServerAtOnceAndTheLastErrorEndsIt() {
        var question = machine(providers: ["a", "b"])
        let servers = Servers(2)
        _ = question.start(now: t0, servers: servers)
        #expect(question.failed(attempt: 0, error: .serverFailure, servers: servers) == [
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.failed(attempt: 1, error: .refused, servers: servers) == [.failed(.refused)])
    }

    @Test func downServersAreSkipped() {
        var question = machine(providers: ["a", "b", "c"])
        var servers = Servers(3)
        servers.usable[0] = false
        #expect(question.start(now: t0, servers: servers).first == .send(attempt: 0, candidate: 1, rto: .milliseconds(50)))
        servers.usable[2] = false  // went down while the question waited
        #expect(question.failed(attempt: 0, error: .timeout, servers: servers) == [.failed(.timeout)])
    }

    @Test func hedgeAsksTheFirstUsableServerOfAProviderNotAskedYet() {
        var question = machine(providers: ["a", "a", "b", "c"])
        let servers = Servers(4)
        _ = question.start(now: t0, servers: servers)
        #expect(question.hedgeTimerFired(servers: servers) == [.send(attempt: 1, candidate: 2, rto: .milliseconds(50))])
        // Answered by the hedge: the first attempt's late answer changes nothing.
        #expect(question.answered(attempt: 1) == [.answered(attempt: 1)])
        #expect(question.answered(attempt: 0) == [])
        #expect(question.hedgeTimerFired(servers: servers) == [])
    }

    @Test func raceAsksOneServerOfEveryProviderAtOnceWithoutAHedge() {
        var question = machine(.race, providers: ["a", "a", "b", "c"])
        #expect(question.start(now: t0, servers: Servers(4)) == [
            .send(attempt: 0, candidate: 0, rto: .milliseconds(50)),
            .send(attempt: 1, candidate: 2, rto: .milliseconds(50)),
            .send(attempt: 2, candidate: 3, rto: .milliseconds(50)),
        ])
        #expect(question.failed(attempt: 1, error: .serverFailure, servers: Servers(4)) == [
            .send(attempt: 3, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.answered(attempt: 2) == [.answered(attempt: 2)])
    }

    @Test func aSilenceMovesToTheNextServerThenResendsToTheSameWithTwiceTheRTO() {
        var question = machine(providers: ["a", "b"], hedge: nil)
        let servers = Servers(2)
        #expect(question.start(now: t0, servers: servers) == [.send(attempt: 0, candidate: 0, rto: .milliseconds(50))])
        #expect(question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers) == [
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.silent(attempt: 1, now: t0 + .milliseconds(100), servers: servers) == [
            .send(attempt: 2, candidate: 1, rto: .milliseconds(100)),
        ])
        #expect(question.silent(attempt: 2, now: t0 + .milliseconds(200), servers: servers) == [
            .send(attempt: 3, candidate: 1, rto: .milliseconds(200)),
        ])
        // Any attempt's answer completes it: the first packet's late reply.
        #expect(question.answered(attempt: 0) == [.answered(attempt: 0)])
        #expect(question.resends == 2)
    }

    @Test("A silent TLS server is followed by the next server, but never resent to: TCP retransmits")
    func streamServersAreNotResentTo() {
        var question = machine(providers: ["tls", "plain"], hedge: nil)
        var servers = Servers(2)
        servers.streams = [0]
        #expect(question.start(now: t0, servers: servers) == [.send(attempt: 0, candidate: 0, rto: .milliseconds(50))])
        #expect(question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers) == [
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.silent(attempt: 1, now: t0 + .milliseconds(100), servers: servers) == [
            .send(attempt: 2, candidate: 1, rto: .milliseconds(100)),
        ])
        var lone = machine(providers: ["tls"], hedge: nil)
        #expect(lone.start(now: t0, servers: servers) == [.send(attempt: 0, candidate: 0, rto: .milliseconds(50))])
        #expect(lone.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers) == [])
        #expect(lone.resends == 0)
        #expect(lone.answered(attempt: 0) == [.answered(attempt: 0)])
    }

    @Test("A lone server: resends back off 50, 100, 200, 400 ms and stop once the question is timeout_ms old")
    func loneServerResendsUntilTimeout() {
        var question = machine(providers: ["a"], hedge: nil)
        let servers = Servers(1)
        var now = t0
        var rto = Duration.milliseconds(50)
        var attempt = 0
        _ = question.start(now: now, servers: servers)
        var rtos: [Duration] = []
        while true {
            now += rto
            let actions = question.silent(attempt: attempt, now: now, servers: servers)
            guard case .send(let next, _, let nextRTO)? = actions.first else { break }
            rtos.append(nextRTO)
            attempt = next
            rto = nextRTO
        }
        #expect(rtos == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(now - t0 >= .milliseconds(1000))
        // Every attempt then ends in c-ares' timeout: the question fails once the last does.
        for number in 0..<attempt { #expect(question.failed(attempt: number, error: .timeout, servers: servers) == []) }
        #expect(question.failed(attempt: attempt, error: .timeout, servers: servers) == [.failed(.timeout)])
    }

    @Test("An attempt that fails after its RTO (the question moved on) still moves it on: no server twice")
    func aFailureAfterTheRTOMovesTheQuestionOnToAServerNotYetAsked() {
        var question = machine(providers: ["a", "b", "c"], hedge: nil)
        let servers = Servers(3)
        _ = question.start(now: t0, servers: servers)
        _ = question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers)  // → b
        #expect(question.failed(attempt: 0, error: .timeout, servers: servers) == [
            .send(attempt: 2, candidate: 2, rto: .milliseconds(50)),
        ])
        #expect(question.failed(attempt: 1, error: .serverFailure, servers: servers) == [])  // c still live
        #expect(question.failed(attempt: 2, error: .refused, servers: servers) == [.failed(.refused)])
    }

    @Test func rtosNeverExceedTheTimeout() {
        var question = machine(providers: ["a"], hedge: nil, timeout: .milliseconds(300))
        #expect(question.start(now: t0, servers: Servers(1, rto: .seconds(2))) == [
            .send(attempt: 0, candidate: 0, rto: .milliseconds(300)),
        ])
    }

    @Test("A server marked down while an attempt waits on it: the attempt has failed, the question moves on at once")
    func aServerMarkedDownFailsItsWaitingAttempts() {
        var question = machine(providers: ["a", "b", "c"], hedge: nil)
        var servers = Servers(3)
        servers.budget.left = 1
        _ = question.start(now: t0, servers: servers)
        #expect(question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers) == [
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
        ])
        servers.usable[0] = false  // a's probe failed
        #expect(question.serverDown(candidate: 0, error: .timeout, servers: servers) == [
            .send(attempt: 2, candidate: 2, rto: .milliseconds(50)),
        ])
        #expect(servers.budget.refused == 0, "moving on after a failure never asks the budget")
        #expect(question.serverDown(candidate: 0, error: .timeout, servers: servers) == [])
        // The given-up attempt's late answer still completes the question.
        #expect(question.answered(attempt: 0) == [.answered(attempt: 0)])
    }

    @Test("Suspect servers are asked after the healthy ones, also when moving on")
    func suspectServersComeLast() {
        var question = machine(providers: ["a", "a", "b"], hedge: nil)
        var servers = Servers(3)
        servers.suspect = [0]
        #expect(question.start(now: t0, servers: servers) == [.send(attempt: 0, candidate: 1, rto: .milliseconds(50))])
        servers.suspect = [0, 2]
        #expect(question.failed(attempt: 0, error: .serverFailure, servers: servers) == [
            .send(attempt: 1, candidate: 0, rto: .milliseconds(50)),
        ])
        #expect(question.failed(attempt: 1, error: .serverFailure, servers: servers) == [
            .send(attempt: 2, candidate: 2, rto: .milliseconds(50)),
        ])
    }

    @Test func cancelFinishesWithCancelled() {
        var question = machine(providers: ["a"])
        _ = question.start(now: t0, servers: Servers(1))
        #expect(question.cancel() == [.failed(.cancelled)])
        #expect(question.answered(attempt: 0) == [])
    }

    // MARK: The retry budget

    @Test("Failing over is never refused: an empty budget still moves a failed question to every server not yet asked")
    func failingOverIsNeverRefused() {
        var question = machine(providers: ["a", "b", "c"])
        let servers = Servers(3)
        servers.budget.left = 0
        _ = question.start(now: t0, servers: servers)  // the first attempt is never limited
        #expect(question.failed(attempt: 0, error: .networkError("ECONNREFUSED"), servers: servers) == [
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.failed(attempt: 1, error: .serverFailure, servers: servers) == [
            .send(attempt: 2, candidate: 2, rto: .milliseconds(50)),
        ])
        #expect(question.failed(attempt: 2, error: .serverFailure, servers: servers) == [.failed(.serverFailure)])
        #expect(servers.budget.refused == 0)
    }

    @Test("A silent first attempt whose move the budget refuses fails at timeout_ms, then moves on unbudgeted")
    func refusedMoveWaitsForTheTimeoutThenMovesOn() {
        var question = machine(providers: ["a", "b"], hedge: nil)
        let servers = Servers(2)
        servers.budget.left = 0
        _ = question.start(now: t0, servers: servers)
        #expect(question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers) == [])
        #expect(servers.budget.refused == 1)
        #expect(question.failed(attempt: 0, error: .timeout, servers: servers) == [
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.answered(attempt: 1) == [.answered(attempt: 1)])
    }

    @Test func anExhaustedBudgetStopsHedgesAndResendsButTheQuestionWaitsForItsAttempt() {
        var question = machine(providers: ["a", "b"])
        let servers = Servers(2)
        servers.budget.left = 0
        _ = question.start(now: t0, servers: servers)
        #expect(question.hedgeTimerFired(servers: servers) == [])
        #expect(question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers) == [])
        #expect(!question.isFinished)
        #expect(question.answered(attempt: 0) == [.answered(attempt: 0)])  // the late answer still counts
        #expect(servers.budget.refused == 2)
    }

    @Test("race asks every provider whatever the budget says: its fan-out is the policy, not a retry")
    func raceIsNeverBudgeted() {
        var question = machine(.race, providers: ["a", "b", "c"])
        let servers = Servers(3)
        servers.budget.left = 0
        #expect(question.start(now: t0, servers: servers) == [
            .send(attempt: 0, candidate: 0, rto: .milliseconds(50)),
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
            .send(attempt: 2, candidate: 2, rto: .milliseconds(50)),
        ])
        #expect(servers.budget.refused == 0)
    }

    @Test func theBudgetIsAskedOnlyWhenThereIsSomewhereToSend() {
        var question = machine(providers: ["a"])
        var servers = Servers(1)
        _ = question.start(now: t0, servers: servers)
        servers.usable[0] = false
        #expect(question.failed(attempt: 0, error: .refused, servers: servers) == [.failed(.refused)])
        #expect(servers.budget.left == Int.max)
    }
}

/// The budget's arithmetic on hand-moved instants.
@Suite struct RetryBudgetTests {
    let t0 = ContinuousClock.now

    @Test("20 % of the last 10 s of questions, then the reserve")
    func shareThenReserve() {
        var budget = RetryBudget(percent: 20, reservePerSecond: 10)
        // 1,000 questions in one second: 200 extras from the share, 100 from the full reserve.
        for _ in 0..<1000 { budget.questionStarted(now: t0) }
        var allowed = 0
        for _ in 0..<500 { if budget.spendExtra(now: t0) { allowed += 1 } }
        #expect(allowed == 300)
        #expect(budget.exhausted == 200)
        // Nine seconds later the share is spent; the reserve refilled 90 of its 100.
        allowed = 0
        for _ in 0..<200 { if budget.spendExtra(now: t0 + .seconds(9)) { allowed += 1 } }
        #expect(allowed == 90)
    }

    @Test("A fresh daemon has the room of a busy one: a burst may use the whole reserve at once")
    func aFreshDaemonCanSpendTheReserveInABurst() {
        var budget = RetryBudget(percent: 20, reservePerSecond: 10)
        for _ in 0..<50 { budget.questionStarted(now: t0) }
        var allowed = 0
        for _ in 0..<200 { if budget.spendExtra(now: t0) { allowed += 1 } }
        #expect(allowed == 10 + 100)  // 20 % of 50, and the reserve of 10 × 10 s
        // Refills at 10 a second, never beyond its size.
        allowed = 0
        for _ in 0..<20 { if budget.spendExtra(now: t0 + .milliseconds(1500)) { allowed += 1 } }
        #expect(allowed == 15)
        allowed = 0
        for _ in 0..<300 { if budget.spendExtra(now: t0 + .seconds(100)) { allowed += 1 } }
        #expect(allowed == 100)
    }

    @Test func theWindowForgetsOldSeconds() {
        var budget = RetryBudget(percent: 20, reservePerSecond: 0)
        for _ in 0..<100 { budget.questionStarted(now: t0) }
        var allowed = 0
        for _ in 0..<100 { if budget.spendExtra(now: t0) { allowed += 1 } }
        #expect(allowed == 20)
        // 10 s on, the questions have left the window: nothing is allowed without new ones.
        do { let allowed = budget.spendExtra(now: t0 + .seconds(10)); #expect(!allowed) }
        for _ in 0..<10 { budget.questionStarted(now: t0 + .seconds(10)) }
        do { let allowed = budget.spendExtra(now: t0 + .seconds(10)); #expect(allowed) }
        do { let allowed = budget.spendExtra(now: t0 + .seconds(10)); #expect(allowed) }
        do { let allowed = budget.spendExtra(now: t0 + .seconds(10)); #expect(!allowed) }
    }
}

/// The loop's timers: order, cancellation, and compaction of cancelled entries.
@Suite struct TimerHeapTests {
    @Test func dueTimersFireInDeadlineOrderAndCancelledOnesNever() {
        var timers = TimerHeap()
        let t0 = ContinuousClock.now
        let fired = FiredLog()
        var ids: [TimerHeap.ID] = []
        for (index, ms) in [30, 10, 20, 40, 50].enumerated() {
            ids.append(timers.schedule(at: t0 + .milliseconds(ms)) { fired.names.append(index) })
        }
        timers.cancel(ids[2])  // the 20 ms one
        #expect(timers.nextDeadline() == t0 + .milliseconds(10))
        for action in timers.popDue(now: t0 + .milliseconds(35)) { action() }
        #expect(fired.names == [1, 0])
        #expect(timers.nextDeadline() == t0 + .milliseconds(40))
        timers.cancel(ids[3])
        timers.cancel(ids[3])  // twice is harmless
        for action in timers.popDue(now: t0 + .seconds(1)) { action() }
        #expect(fired.names == [1, 0, 4])
        #expect(timers.isEmpty)
        #expect(timers.nextDeadline() == nil)
    }

    @Test func thousandsOfCancelledTimersDoNotHideTheLiveOnes() {
        var timers = TimerHeap()
        let t0 = ContinuousClock.now
        let fired = FiredLog()
        var cancelled: [TimerHeap.ID] = []
        for index in 0..<10_000 {
            let id = timers.schedule(at: t0 + .milliseconds(index % 500)) { fired.names.append(index) }
            if index % 100 != 7 { cancelled.append(id) }
        }
        for id in cancelled { timers.cancel(id) }  // compacts along the way
        for action in timers.popDue(now: t0 + .seconds(1)) { action() }
        #expect(fired.names.count == 100)
        #expect(fired.names.allSatisfy { $0 % 100 == 7 })
        #expect(timers.isEmpty)
    }

    final class FiredLog { var names: [Int] = [] }
}
