// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The decisions for one client question, as a pure state machine: which candidate server to
/// send to and when, hedging, retransmission after a silence, and when the question is done.
/// It owns no sockets, timers or clock: the engine feeds it events with `now` and performs the
/// actions it returns, so every policy case is a socket-free scenario on a manual clock
/// (`QuestionMachineTests`). Server health lives in `ServerHealth`; the machine only asks
/// whether a candidate is usable now and what its retransmission timeout is.
struct QuestionMachine {
    /// How a question is sent (from `UpstreamConfiguration`).
    struct Settings: Equatable {
        var policy: UpstreamConfiguration.Policy
        /// No new attempt once the question is this old; also an attempt's longest RTO.
        var timeout: Duration
        /// Also ask the next provider when nothing answered by then (failover and fastest); nil: off.
        var hedgeAfter: Duration?
    }

    /// What the machine needs to know of its candidates at the moment it decides.
    protocol Servers {
        /// Not marked down, and not removed by a reload (suspect servers are usable).
        func isUsable(_ candidate: Int) -> Bool
        /// Being checked by a probe: asked only after the usable servers that are not suspect.
        func isSuspect(_ candidate: Int) -> Bool
        /// The candidate server's current retransmission timeout.
        func rto(_ candidate: Int) -> Duration
        /// The retry budget: may the question send one attempt while another of its attempts is
        /// still live? (Asked only when there is a server to send it to; a yes is spent.)
        func allowExtraAttempt() -> Bool
        /// Whether a silent attempt may be resent to the same server: yes over datagrams (the
        /// packet may be lost); no over a stream (TLS), which retransmits by itself.
        func resendsToSameServer(_ candidate: Int) -> Bool
    }

    enum Action: Equatable {
        /// Send attempt `attempt` to candidate `candidate`; report its silence after `rto`.
        case send(attempt: Int, candidate: Int, rto: Duration)
        /// Call `hedgeTimerFired` after this long.
        case armHedge(after: Duration)
        /// The question is done: answered by `attempt`, or failed with the last error.
        case answered(attempt: Int)
        case failed(UpstreamError)
    }

    private struct Attempt {
        let candidate: Int
        let rto: Duration
        var pastRTO = false
    }

    let settings: Settings
    /// Provider of each candidate, in the order the policy tries them.
    let providers: [String]
    let started: ContinuousClock.Instant
    private(set) var sent: [Bool]
    private var attempts: [Int: Attempt] = [:]
    private var nextAttempt = 0
    private(set) var lastError: UpstreamError = .timeout
    private(set) var isFinished = false
    /// Attempts sent again to a server that was silent (for the server's counter).
    private(set) var resends = 0

    init(settings: Settings, providers: [String], started: ContinuousClock.Instant) {
        self.settings = settings
        self.providers = providers
        self.started = started
        self.sent = Array(repeating: false, count: providers.count)
    }

    /// Attempts still waiting for an answer.
    var outstanding: Int { attempts.count }

    /// Attempts sent so far (first, failovers, hedges, resends).
    var attemptsSent: Int { nextAttempt }

    // MARK: Events

    /// The first attempts: the first usable candidate (failover, fastest; plus the hedge timer),
    /// or the first usable server of every provider at once (race).
    mutating func start(now: ContinuousClock.Instant, servers: some Servers) -> [Action] {
        var actions: [Action] = []
        switch settings.policy {
        case .failover, .fastest:
            sendNext(servers, into: &actions)
            if let hedge = settings.hedgeAfter, !actions.isEmpty { actions.append(.armHedge(after: hedge)) }
        case .race:
            // One attempt per provider, by design: the policy's, never the retry budget's.
            // Each provider's first healthy server, else its first suspect one.
            var seen = Set<String>()
            for candidate in preferenceOrder(servers) where !seen.contains(providers[candidate]) {
                seen.insert(providers[candidate])
                send(candidate, rto: servers.rto(candidate), into: &actions)
            }
        }
        finishIfExhausted(into: &actions)
        return actions
    }

    /// A validated answer (NOERROR, NXDOMAIN) to `attempt` — live, or one that was already
    /// given up on (its server was marked down meanwhile): the question is answered.
    mutating func answered(attempt: Int) -> [Action] {
        guard attempt >= 0, attempt < nextAttempt, !isFinished else { return [] }
        attempts.removeValue(forKey: attempt)
        isFinished = true
        return [.answered(attempt: attempt)]
    }

    /// `attempt` failed (SERVFAIL, REFUSED, a network error, a bad reply, silence for
    /// `timeout_ms`, or it could not be sent). The question moves on to the next usable server
    /// not yet asked, at once and whatever the retry budget says: the failed attempt's load is
    /// over. When every server was asked and none is still live, the question has failed.
    mutating func failed(attempt: Int, error: UpstreamError, servers: some Servers) -> [Action] {
        guard attempts.removeValue(forKey: attempt) != nil, !isFinished else { return [] }
        lastError = error
        var actions: [Action] = []
        moveOn(servers, into: &actions)
        finishIfExhausted(into: &actions)
        return actions
    }

    /// The server of candidate `candidate` was marked down: every attempt still waiting on it
    /// has failed, and the question moves on for each (unbudgeted, as after any failure).
    mutating func serverDown(candidate: Int, error: UpstreamError, servers: some Servers) -> [Action] {
        guard !isFinished else { return [] }
        let waiting = attempts.filter { $0.value.candidate == candidate }.map(\.key)
        guard !waiting.isEmpty else { return [] }
        var actions: [Action] = []
        for attempt in waiting {
            attempts.removeValue(forKey: attempt)
            lastError = error
            moveOn(servers, into: &actions)
        }
        finishIfExhausted(into: &actions)
        return actions
    }

    /// `attempt` stayed silent for its RTO — not a failure: another attempt, at the next usable
    /// candidate not yet asked, else at the same server again with its RTO doubled per resend, while
    /// the question is younger than `settings.timeout`. Both are extra attempts (the silent one
    /// is still live): the retry budget decides, and when it refuses, the question waits for the
    /// live attempt, which fails at `timeout_ms` at the latest and then moves on unbudgeted.
    /// The silent attempt keeps waiting either way: its late answer still completes the question.
    mutating func silent(attempt: Int, now: ContinuousClock.Instant, servers: some Servers) -> [Action] {
        guard var silent = attempts[attempt], !isFinished, !silent.pastRTO else { return [] }
        silent.pastRTO = true
        attempts[attempt] = silent
        guard now - started < settings.timeout else { return [] }
        var actions: [Action] = []
        if let next = nextUnsent(servers) {
            if servers.allowExtraAttempt() { send(next, rto: servers.rto(next), into: &actions) }
        } else if servers.isUsable(silent.candidate), servers.resendsToSameServer(silent.candidate),
                  servers.allowExtraAttempt() {
            // Backed off from the server's RTO now (measured since, perhaps), doubling per resend.
            resends += 1
            let backoff = servers.rto(silent.candidate) * (1 << min(resends, 10))
            send(silent.candidate, rto: backoff, into: &actions)
        }
        return actions  // empty when the budget refused: the silent attempt is still waited for
    }

    /// Hedging: nothing answered by `hedge_after_ms`, so also ask the first usable server of a
    /// provider not asked yet.
    mutating func hedgeTimerFired(servers: some Servers) -> [Action] {
        guard !isFinished else { return [] }
        let asked = Set(providers.indices.filter { sent[$0] }.map { providers[$0] })
        guard let candidate = preferenceOrder(servers).first(where: { !sent[$0] && !asked.contains(providers[$0]) }),
              servers.allowExtraAttempt() else { return [] }
        var actions: [Action] = []
        send(candidate, rto: servers.rto(candidate), into: &actions)
        return actions
    }

    /// The pool shut down or was reconfigured away: done, whatever is outstanding.
    mutating func cancel() -> [Action] {
        guard !isFinished else { return [] }
        isFinished = true
        attempts.removeAll()
        return [.failed(.cancelled)]
    }

    // MARK: Helpers

    /// The question's first attempt: the first usable candidate, healthy before suspect.
    private mutating func sendNext(_ servers: some Servers, into actions: inout [Action]) {
        guard let candidate = nextUnsent(servers) else { return }
        send(candidate, rto: servers.rto(candidate), into: &actions)
    }

    /// After a failure: the next usable candidate not yet asked (never one asked before).
    private mutating func moveOn(_ servers: some Servers, into actions: inout [Action]) {
        sendNext(servers, into: &actions)
    }

    /// The next usable candidate not yet asked: healthy ones first, in the policy's order,
    /// then suspect ones.
    private func nextUnsent(_ servers: some Servers) -> Int? {
        var firstSuspect: Int?
        for candidate in providers.indices where !sent[candidate] && servers.isUsable(candidate) {
            if !servers.isSuspect(candidate) { return candidate }
            if firstSuspect == nil { firstSuspect = candidate }
        }
        return firstSuspect
    }

    /// The usable candidates in the policy's order, those not suspect first.
    private func preferenceOrder(_ servers: some Servers) -> [Int] {
        let usable = providers.indices.filter { servers.isUsable($0) }
        return usable.filter { !servers.isSuspect($0) } + usable.filter { servers.isSuspect($0) }
    }

    private mutating func send(_ candidate: Int, rto: Duration, into actions: inout [Action]) {
        sent[candidate] = true
        let id = nextAttempt
        nextAttempt += 1
        let bounded = min(rto, settings.timeout)
        attempts[id] = Attempt(candidate: candidate, rto: bounded)
        actions.append(.send(attempt: id, candidate: candidate, rto: bounded))
    }

    private mutating func finishIfExhausted(into actions: inout [Action]) {
        guard !isFinished, attempts.isEmpty, !actions.contains(where: { if case .send = $0 { true } else { false } }) else { return }
        isFinished = true
        actions.append(.failed(lastError))
    }
}
