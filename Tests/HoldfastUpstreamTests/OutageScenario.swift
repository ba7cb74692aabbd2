// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

@testable import HoldfastUpstream

/// A socket-free upstream world on a manual clock, for `OutageScenarioTests`: scripted servers
/// (refusing, silent, answering after a delay, losing every n-th datagram) and questions driven
/// through the pure machines the way `UpstreamEngine` drives them:
/// - an attempt's RTO: if nothing came from its server since it was sent, `silentPastRTO` (and
///   the RTO backs off); then `QuestionMachine.silent`;
/// - a failure: counted against the server unless it is a timeout while the server answered
///   others; then `QuestionMachine.failed`;
/// - a probe fails on an error or `timeout_ms` of silence; `markedDown` fails every attempt
///   waiting on that server (`QuestionMachine.serverDown`).
final class Scenario {
    enum Behaviour {
        case refusing
        case silent
        case answering(after: Duration)
        /// Drops every `every`-th datagram it receives, answers the rest after `after`.
        case lossy(every: Int, after: Duration)
    }

    /// What the clients of one `ask` saw.
    final class Results {
        var answered = 0
        var failed = 0
    }

    private enum Event {
        case start(Question)
        case reply(Question, attempt: Int, server: Int, sentAt: ContinuousClock.Instant, servfail: Bool)
        case failure(Question, attempt: Int, server: Int, sentAt: ContinuousClock.Instant, error: UpstreamError)
        case rto(Question, attempt: Int, server: Int, sentAt: ContinuousClock.Instant)
        case hedge(Question)
        case probeResult(server: Int, ok: Bool, error: UpstreamError)
        case periodicProbe(server: Int)
    }

    final class Question {
        let name: String
        let results: Results
        var machine: QuestionMachine
        var candidates: [Int] = []
        var done: Set<Int> = []
        var finished = false
        init(name: String, results: Results, machine: QuestionMachine) {
            self.name = name
            self.results = results
            self.machine = machine
        }
    }

    private struct View: QuestionMachine.Servers {
        unowned let world: Scenario
        let candidates: [Int]
        func isUsable(_ candidate: Int) -> Bool { world.health[candidates[candidate]].isUp }
        func isSuspect(_ candidate: Int) -> Bool { world.health[candidates[candidate]].isSuspect }
        func rto(_ candidate: Int) -> Duration { world.rtt[candidates[candidate]].rto }
        func resendsToSameServer(_ candidate: Int) -> Bool { true }
        func allowExtraAttempt() -> Bool { world.budget.spendExtra(now: world.now) }
    }

    let t0 = ContinuousClock.now
    private(set) var now: ContinuousClock.Instant
    let timeout = Duration.milliseconds(1000)
    let policy: UpstreamConfiguration.Policy
    var behaviours: [Behaviour]
    private(set) var health: [ServerHealth]
    private(set) var rtt: [SmoothedRTT]
    private var lastAnswerAt: [ContinuousClock.Instant?]
    /// Datagrams each server received (questions' attempts and probes).
    private(set) var received: [Int]
    private(set) var markedDown: [Int]
    private(set) var budget = RetryBudget(percent: 20, reservePerSecond: 10)
    /// Names starting with this are answered SERVFAIL by every server.
    var servfailPrefix: String?
    private var events: [(at: ContinuousClock.Instant, order: Int, event: Event)] = []
    private var order = 0
    private var live: [Question] = []

    init(servers: [Behaviour], policy: UpstreamConfiguration.Policy = .failover) {
        self.behaviours = servers
        self.policy = policy
        self.now = t0
        health = servers.map { _ in ServerHealth(failureThreshold: 3, probeInterval: .seconds(5)) }
        rtt = servers.map { _ in SmoothedRTT(ceilingMs: 1000) }
        lastAnswerAt = servers.map { _ in nil }
        received = servers.map { _ in 0 }
        markedDown = servers.map { _ in 0 }
    }

    /// `count` new names asked at `offset` from the start.
    func ask(count: Int, at offset: Duration, prefix: String = "n") -> Results {
        let results = Results()
        for index in 0..<count {
            let machine = QuestionMachine(
                settings: .init(policy: policy, timeout: timeout, hedgeAfter: policy == .race ? nil : .milliseconds(250)),
                providers: behaviours.indices.map { "p\($0)" }, started: t0 + offset)
            schedule(at: t0 + offset, .start(Question(name: "\(prefix)\(index)", results: results, machine: machine)))
        }
        return results
    }

    /// Runs every event up to `offset` from the start.
    func run(until offset: Duration) {
        while let next = events.last, next.at <= t0 + offset {
            events.removeLast()
            now = next.at
            handle(next.event)
        }
        now = t0 + offset
    }

    // MARK: The engine's glue

    private func handle(_ event: Event) {
        switch event {
        case .start(let question):
            budget.questionStarted(now: now)
            question.candidates = behaviours.indices.filter { health[$0].isUp }
            guard !question.candidates.isEmpty else { return finish(question, answered: false) }
            question.machine = QuestionMachine(
                settings: question.machine.settings, providers: question.candidates.map { "p\($0)" }, started: now)
            live.append(question)
            perform(question.machine.start(now: now, servers: view(question)), question)
        case .reply(let question, let attempt, let server, let sentAt, let servfail):
            guard !question.done.contains(attempt) else { return }
            question.done.insert(attempt)
            rtt[server].update(sample: now - sentAt)
            if servfail {
                apply(health[server].questionFailed(.serverFailure, now: now), server)
                perform(question.machine.failed(attempt: attempt, error: .serverFailure, servers: view(question)), question)
            } else {
                lastAnswerAt[server] = now
                apply(health[server].questionAnswered(now: now), server)
                if !question.machine.answered(attempt: attempt).isEmpty { finish(question, answered: true) }
            }
        case .failure(let question, let attempt, let server, let sentAt, let error):
            guard !question.done.contains(attempt) else { return }
            question.done.insert(attempt)
            if error != .timeout || wasSilent(server, since: sentAt) {
                apply(health[server].questionFailed(error, now: now), server)
            }
            perform(question.machine.failed(attempt: attempt, error: error, servers: view(question)), question)
        case .rto(let question, let attempt, let server, let sentAt):
            guard !question.done.contains(attempt) else { return }
            if wasSilent(server, since: sentAt) {
                apply(health[server].silentPastRTO(now: now), server)
                rtt[server].timedOut()
            }
            perform(question.machine.silent(attempt: attempt, now: now, servers: view(question)), question)
        case .hedge(let question):
            perform(question.machine.hedgeTimerFired(servers: view(question)), question)
        case .probeResult(let server, let ok, let error):
            if ok {
                lastAnswerAt[server] = now
                apply(health[server].probeAnswered(now: now), server)
            } else {
                apply(health[server].probeFailed(error, now: now), server)
            }
        case .periodicProbe(let server):
            guard !health[server].isUp else { return }
            if health[server].probe != .inFlight { sendProbe(server) }
            schedule(at: now + health[server].probeInterval, .periodicProbe(server: server))
        }
    }

    private func perform(_ actions: [QuestionMachine.Action], _ question: Question) {
        for action in actions {
            switch action {
            case .send(let attempt, let candidate, let rto):
                let server = question.candidates[candidate]
                let sentAt = now
                switch deliver(to: server) {
                case .failure(let delay, let error):
                    schedule(at: now + delay, .failure(question, attempt: attempt, server: server, sentAt: sentAt, error: error))
                case .reply(let delay):
                    let servfail = servfailPrefix.map { question.name.hasPrefix($0) } ?? false
                    schedule(at: now + delay, .reply(question, attempt: attempt, server: server, sentAt: sentAt, servfail: servfail))
                }
                schedule(at: now + rto, .rto(question, attempt: attempt, server: server, sentAt: sentAt))
            case .armHedge(let delay):
                schedule(at: now + delay, .hedge(question))
            case .failed:
                finish(question, answered: false)
            case .answered:
                break
            }
        }
    }

    private func apply(_ action: ServerHealth.Action, _ server: Int) {
        switch action {
        case .none, .cleared, .markedUp:
            return
        case .sendProbe:
            sendProbe(server)
        case .markedDown:
            markedDown[server] += 1
            schedule(at: now + health[server].probeInterval, .periodicProbe(server: server))
            for question in live where !question.finished {
                for candidate in question.candidates.indices where question.candidates[candidate] == server {
                    perform(question.machine.serverDown(
                        candidate: candidate, error: health[server].lastError ?? .timeout, servers: view(question)), question)
                }
            }
        }
    }

    private func sendProbe(_ server: Int) {
        guard health[server].probe != .inFlight else { return }
        health[server].probeSent(now: now)
        switch deliver(to: server) {
        case .failure(let delay, let error): schedule(at: now + delay, .probeResult(server: server, ok: false, error: error))
        case .reply(let delay): schedule(at: now + delay, .probeResult(server: server, ok: true, error: .timeout))
        }
    }

    // MARK: The servers

    private enum Delivery {
        case reply(after: Duration)
        case failure(after: Duration, UpstreamError)
    }

    private func deliver(to server: Int) -> Delivery {
        received[server] += 1
        switch behaviours[server] {
        case .refusing: return .failure(after: .microseconds(100), .networkError("ECONNREFUSED"))
        case .silent: return .failure(after: timeout, .timeout)
        case .answering(let delay): return .reply(after: delay)
        case .lossy(let every, let delay):
            return received[server] % every == 0 ? .failure(after: timeout, .timeout) : .reply(after: delay)
        }
    }

    private func wasSilent(_ server: Int, since instant: ContinuousClock.Instant) -> Bool {
        guard let last = lastAnswerAt[server] else { return true }
        return last < instant
    }

    private func view(_ question: Question) -> View { View(world: self, candidates: question.candidates) }

    private func finish(_ question: Question, answered: Bool) {
        guard !question.finished else { return }
        question.finished = true
        if answered { question.results.answered += 1 } else { question.results.failed += 1 }
        live.removeAll { $0 === question }
    }

    private func schedule(at instant: ContinuousClock.Instant, _ event: Event) {
        // Kept sorted latest first, so the next event is the last element.
        order += 1
        var low = 0
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            if (events[middle].at, events[middle].order) > (instant, order) { low = middle + 1 } else { high = middle }
        }
        events.insert((instant, order, event), at: low)
    }
}
