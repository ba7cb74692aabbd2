// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Logging

/// The pool's brain: servers, questions, policies, hedging, health transitions and probes.
/// Every method runs on the c-ares loop thread, so questions are event-driven state machines
/// there (no Task per query, no sleeps). `@unchecked Sendable`: the engine is reached from
/// other threads only through closures handed to `CAresEventLoop.execute`, which run on the
/// loop thread; no property is touched anywhere else.
final class UpstreamEngine: @unchecked Sendable {
    let loop: CAresEventLoop
    let logger: Logger
    let observer: (any UpstreamObserver)?
    let board: StatusBoard
    var configuration: UpstreamConfiguration
    var providers: [(name: String, servers: [ServerState])] = []
    var routes: RouteTable
    var questions: [ObjectIdentifier: QuestionState] = [:]
    var random = KernelRandom()
    var fastestCounter = 0
    /// Extra attempts (hedges, retries, resends) are limited to a share of recent questions.
    var budget: RetryBudgetBox
    /// The last question any server answered well: a probe for a server that never answered
    /// anything asks it (a name known to resolve), not the last, possibly broken, name it saw.
    var lastAnsweredQuestion: (question: DNSQuestion, dnssecOK: Bool)?
    var publishScheduled = false
    var isShutDown = false
    /// Called when a down server comes back (the resolver empties its failure cache).
    var onServerRecovered: (@Sendable () -> Void)?

    /// Valid-but-wrong-case replies from one server before 0x20 is turned off for it.
    static let caseMismatchLimit = 3
    /// `fastest` sends one question in this many to a random other server.
    static let explorationPeriod = 20

    init(configuration: UpstreamConfiguration, loop: CAresEventLoop, logger: Logger,
         observer: (any UpstreamObserver)?, board: StatusBoard) {
        self.configuration = configuration
        self.loop = loop
        self.logger = logger
        self.observer = observer
        self.board = board
        self.routes = RouteTable(configuration)
        self.budget = Self.makeBudget(configuration, observer: observer)
        self.providers = configuration.providers.map { provider in
            (provider.name, provider.servers.map { makeServer(provider: provider, address: $0, configuration: configuration) })
        }
    }

    /// The pool's retry budget for `configuration`, reporting refusals to `observer`.
    static func makeBudget(_ configuration: UpstreamConfiguration, observer: (any UpstreamObserver)?) -> RetryBudgetBox {
        RetryBudgetBox(RetryBudget(
            percent: configuration.retryBudgetPercent, reservePerSecond: configuration.retryBudgetMinPerSecond)) { observer?.retryBudgetExhausted() }
    }

    /// A server's state and its transport (c-ares for `dns`, an encrypted one for `tls`/`https`).
    func makeServer(provider: UpstreamConfiguration.Provider, address: UpstreamServerAddress,
                    configuration: UpstreamConfiguration) -> ServerState {
        let server = ServerState(
            provider: provider.name, address: address, configuration: configuration, transportKind: provider.transport)
        server.transport = makeTransport(for: server, configuration)
        return server
    }

    /// The transport `server.transportKind` names. A stream transport republishes the status
    /// when its connection opens or closes; an encrypted one also reports handshakes.
    func makeTransport(for server: ServerState, _ configuration: UpstreamConfiguration) -> any UpstreamTransport {
        switch server.transportKind {
        case .dns:
            return CAresTransport(
                address: server.address, timeoutMs: configuration.timeoutMs,
                rotateAfterQueries: configuration.rotateAfterQueries, loop: loop)
        case .tcp, .tls, .https:
            let (provider, label) = (server.provider, server.label)
            return StreamTransport(
                address: server.address, kind: server.transportKind, timeoutMs: configuration.timeoutMs,
                idleTimeoutMs: configuration.tlsIdleTimeoutMs, loop: loop,
                onHandshake: { [weak self] result in
                    self?.observer?.tlsHandshake(provider: provider, server: label, result: result)
                },
                onConnectionChange: { [weak self] in self?.schedulePublish() })
        }
    }

    // MARK: Questions

    func start(_ question: DNSQuestion, dnssecOK: Bool, excludingProvider: String? = nil, onAllDown: (@Sendable () -> Void)?,
               completion: @escaping @Sendable (UpstreamResult) -> Void) {
        guard !isShutDown else { return completion(.failed(.cancelled)) }
        let eligibleProviders = routes.providers(for: question.name).filter { $0 < providers.count && providers[$0].name != excludingProvider }
        let eligible = eligibleProviders.flatMap { providers[$0].servers }
        guard !eligible.isEmpty else { return completion(.failed(.noServers)) }
        var candidates = eligible.filter(\.isUsable)
        guard !candidates.isEmpty else { return completion(.allDown) }
        if configuration.policy == .fastest { orderByRTT(&candidates) }
        let settings = QuestionMachine.Settings(
            policy: configuration.policy, timeout: .milliseconds(max(1, configuration.timeoutMs)),
            hedgeAfter: configuration.hedgeAfterMs > 0 ? .milliseconds(configuration.hedgeAfterMs) : nil)
        let state = QuestionState(
            question: question, dnssecOK: dnssecOK, completion: completion, candidates: candidates, eligible: eligible,
            onAllDown: onAllDown,
            machine: QuestionMachine(settings: settings, providers: candidates.map(\.provider), started: .now),
            budget: budget)
        budget.value.questionStarted(now: .now)
        questions[ObjectIdentifier(state)] = state
        if !eligible.contains(where: \.isHealthy), let callback = state.onAllDown {
            // Known trouble is not waited out: clients with stale data get it now.
            state.onAllDown = nil
            callback()
        }
        perform(state.machine.start(now: .now, servers: state.view), for: state)
    }

    /// Lowest SRTT first (unmeasured servers first, so each gets measured); every
    /// `explorationPeriod`-th question tries a random other server first.
    private func orderByRTT(_ candidates: inout [ServerState]) {
        candidates.sort { ($0.rtt.smoothed ?? -1) < ($1.rtt.smoothed ?? -1) }
        fastestCounter += 1
        if candidates.count > 1 && fastestCounter % Self.explorationPeriod == 0 {
            let pick = Int.random(in: 1..<candidates.count, using: &random)
            candidates.insert(candidates.remove(at: pick), at: 0)
        }
    }

    /// Performs what a question's machine decided: send attempts (with their RTO timers), arm
    /// the hedge timer, finish. An attempt that cannot be sent is fed back as failed.
    func perform(_ actions: [QuestionMachine.Action], for state: QuestionState) {
        for action in actions {
            switch action {
            case .send(let number, let candidate, let rto):
                let server = state.candidates[candidate]
                guard let attempt = startAttempt(
                    server: server, question: state.question, dnssecOK: state.dnssecOK, owner: state, number: number
                ) else {
                    perform(state.machine.failed(attempt: number, error: .networkError("cannot send"), servers: state.view), for: state)
                    continue
                }
                attempt.rto = rto
                attempt.rtoTimer = loop.schedule(after: rto) { [self] in rtoExpired(attempt) }
            case .armHedge(let delay):
                state.hedgeTimer = loop.schedule(after: delay) { [self] in
                    state.hedgeTimer = nil
                    let hedged = state.machine.hedgeTimerFired(servers: state.view)
                    if !hedged.isEmpty { logger.debug("hedging", metadata: ["question": "\(state.question)"]) }
                    perform(hedged, for: state)
                }
            case .failed(let error):
                finish(state, .failed(error))
            case .answered:
                break  // finished by `completed`, which holds the reply
            }
        }
    }

    func finish(_ state: QuestionState, _ result: UpstreamResult) {
        guard let completion = state.completion else { return }
        state.completion = nil
        state.onAllDown = nil
        if let timer = state.hedgeTimer { loop.cancel(timer) }
        questions[ObjectIdentifier(state)] = nil
        completion(result)
    }

    /// A question's attempt stayed silent for its RTO. Silence is not a failure: the server
    /// becomes suspect (and is probed) only if nothing came from it since the attempt was sent
    /// (a server that answers other questions meanwhile is alive: this was a lost packet or a
    /// slow name), and the question may send another attempt (`QuestionMachine.silent`). The
    /// transport keeps waiting for the attempt up to `timeout_ms`; a late answer still counts.
    func rtoExpired(_ attempt: Attempt) {
        attempt.rtoTimer = nil
        attempt.pastRTO = true
        let server = attempt.server
        if server.wasSilent(since: attempt.started) {
            apply(server.health.silentPastRTO(now: .now), to: server)
            // Only a silent server's RTO backs off. A lost packet while the server answers
            // others is the question's own (its resend waits twice as long): hundreds of
            // losses in one burst must not push every new question's RTO to `timeout_ms`.
            server.rtt.timedOut()
        }
        schedulePublish()
        guard let state = attempt.question, !state.isFinished else { return }
        let actions = state.machine.silent(attempt: attempt.number, now: .now, servers: state.view)
        if !actions.isEmpty {
            logger.debug("resending after silence", metadata: ["question": "\(state.question)", "silent": "\(server.label)"])
        }
        perform(actions, for: state)
    }

    // MARK: Attempts

    /// Builds our own query (question + bare OPT last, an ID the transport picks, 0x20 case)
    /// and sends it. Nil when the transport could not send (it could not open a channel).
    @discardableResult
    func startAttempt(server: ServerState, question: DNSQuestion, dnssecOK: Bool, owner: QuestionState?, number: Int = -1) -> Attempt? {
        let (encrypted, stream) = (server.transport.isEncrypted, server.transport.isStream)
        let randomize = configuration.randomizeCase && server.caseRandomization && !stream
        var sentQuestion = question
        if randomize { sentQuestion.name = question.name.randomizingCase(using: &random) }
        let attempt = Attempt(
            server: server, question: owner, number: number, queryID: 0, sentQuestion: sentQuestion,
            usedCaseRandomization: randomize, started: .now)
        let sent = server.transport.send({ id in
            stream ? DNSMessage.makeStreamQuery(id: id, question: sentQuestion, dnssecOK: dnssecOK, paddingBlock: encrypted ? 128 : 0)
                : DNSMessage.makeQuery(id: id, question: sentQuestion, dnssecOK: dnssecOK, udpPayloadSize: EDNS.defaultUDPPayloadSize)
        }, completion: { [self] reply in completed(attempt, reply) })
        guard let id = sent else {
            logger.error("cannot send to upstream server", metadata: [
                "server": "\(server.label)", "error": "\(server.transport.setupError ?? "unknown")"])
            return nil
        }
        attempt.queryID = id
        server.queries += 1
        server.lastQuestion = (question, dnssecOK)
        return attempt
    }

    private func completed(_ attempt: Attempt, _ reply: TransportReply) {
        if let timer = attempt.rtoTimer { loop.cancel(timer) }
        let server = attempt.server
        let elapsed = ContinuousClock.now - attempt.started
        var verdict: ReplyVerdict
        var measured: Duration?
        switch reply {
        case .failure(let error):
            verdict = .failure(error)
        case .reply(let bytes):
            measured = elapsed
            server.rtt.update(sample: elapsed)
            verdict = attempt.verdict(for: bytes)
            if verdict == .caseMismatch { noteCaseMismatch(server) }
        }
        if case .failure(.cancelled) = verdict {
            // Shutdown or reload: not the server's fault.
        } else if verdict == .answer {
            let now = ContinuousClock.now
            server.lastAnswerAt = now
            if let question = attempt.question {
                server.lastAnsweredQuestion = (question.question, question.dnssecOK)
                lastAnsweredQuestion = server.lastAnsweredQuestion
            }
            let action = attempt.isProbe ? server.health.probeAnswered(now: now) : server.health.questionAnswered(now: now)
            apply(action, to: server)
        } else {
            server.failures += 1
            if case .failure(let error) = verdict {
                if attempt.isProbe {
                    apply(server.health.probeFailed(error, now: .now), to: server)
                } else if error == .timeout && !server.wasSilent(since: attempt.started) {
                    // Silent for `timeout_ms` while the server answered others: a lost packet
                    // or a slow name, not the server's failure.
                    server.health.noteLateFailure(error)
                } else {
                    apply(server.health.questionFailed(error, now: .now), to: server)
                }
            }
        }
        let error: UpstreamError? = switch verdict {
        case .answer: nil
        case .caseMismatch: .mismatchedReply
        case .failure(let error): error
        }
        observer?.attemptFinished(provider: server.provider, server: server.label,
                                  outcome: error?.outcome ?? .answer, rtt: measured)
        schedulePublish()

        guard let state = attempt.question, !state.isFinished else { return }
        if let error {
            perform(state.machine.failed(attempt: attempt.number, error: error, servers: state.view), for: state)
        } else if case .reply(let bytes) = reply, !state.machine.answered(attempt: attempt.number).isEmpty {
            let attempts = state.machine.attemptsSent
            finish(state, .answer(reply: bytes, provider: server.provider, server: server.label, attempts: attempts))
        }
    }

    private func noteCaseMismatch(_ server: ServerState) {
        server.caseMismatches += 1
        if server.caseMismatches >= Self.caseMismatchLimit && server.caseRandomization {
            server.caseRandomization = false
            logger.warning("upstream server does not preserve name case; 0x20 turned off for it",
                           metadata: ["provider": "\(server.provider)", "server": "\(server.label)"])
        }
    }
}
