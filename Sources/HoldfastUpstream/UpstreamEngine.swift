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
    var random = SystemRandomNumberGenerator()
    var fastestCounter = 0
    /// The last question any server answered well: a probe for a server that never answered
    /// anything asks it (a name known to resolve), not the last, possibly broken, name it saw.
    var lastAnsweredQuestion: (question: DNSQuestion, dnssecOK: Bool)?
    var publishScheduled = false
    var isShutDown = false

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
        self.providers = configuration.providers.map { provider in
            (provider.name, provider.servers.map { ServerState(provider: provider.name, address: $0, configuration: configuration) })
        }
    }

    // MARK: Questions

    func start(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?,
               completion: @escaping @Sendable (UpstreamResult) -> Void) {
        guard !isShutDown else { return completion(.failed(.cancelled)) }
        let eligibleProviders = routes.providers(for: question.name).filter { $0 < providers.count }
        let eligible = eligibleProviders.flatMap { providers[$0].servers }
        guard !eligible.isEmpty else { return completion(.failed(.noServers)) }
        var candidates = eligible.filter(\.isUsable)
        guard !candidates.isEmpty else { return completion(.allDown) }
        if configuration.policy == .fastest { orderByRTT(&candidates) }
        let state = QuestionState(
            question: question, dnssecOK: dnssecOK, started: .now, completion: completion,
            candidates: candidates, eligible: eligible, onAllDown: onAllDown)
        questions[ObjectIdentifier(state)] = state
        switch configuration.policy {
        case .failover, .fastest:
            sendNext(state)
            if configuration.hedgeAfterMs > 0 {
                state.hedgeTimer = loop.schedule(after: .milliseconds(configuration.hedgeAfterMs)) { [self] in
                    state.hedgeTimer = nil
                    if !state.isFinished { hedge(state) }
                }
            }
        case .race:
            var seen = Set<String>()
            for (index, server) in candidates.enumerated() where !seen.contains(server.provider) {
                seen.insert(server.provider)
                send(state, candidate: index)
            }
        }
        if state.outstanding == 0 && !state.isFinished { finish(state, .failed(state.lastError)) }
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

    /// Sends to the next candidate not yet tried that is still usable. Returns false if none.
    @discardableResult
    func sendNext(_ state: QuestionState) -> Bool {
        for index in state.candidates.indices where !state.sent[index] && state.candidates[index].isUsable {
            if send(state, candidate: index) { return true }
        }
        return false
    }

    /// Hedging: also ask the first usable server of a provider not asked yet.
    private func hedge(_ state: QuestionState) {
        let asked = Set(state.candidates.indices.filter { state.sent[$0] }.map { state.candidates[$0].provider })
        for index in state.candidates.indices where !state.sent[index] && state.candidates[index].isUsable
            && !asked.contains(state.candidates[index].provider) {
            logger.debug("hedging", metadata: ["question": "\(state.question)", "server": "\(state.candidates[index].label)"])
            if send(state, candidate: index) { return }
        }
    }

    @discardableResult
    private func send(_ state: QuestionState, candidate index: Int, rto: Duration? = nil) -> Bool {
        state.sent[index] = true
        let server = state.candidates[index]
        guard let attempt = startAttempt(server: server, question: state.question, dnssecOK: state.dnssecOK, owner: state) else {
            return false
        }
        state.outstanding += 1
        arm(attempt, rto: rto ?? server.rtt.rto)
        return true
    }

    private func arm(_ attempt: Attempt, rto: Duration) {
        attempt.rto = min(rto, .milliseconds(max(1, configuration.timeoutMs)))
        attempt.rtoTimer = loop.schedule(after: attempt.rto) { [self] in rtoExpired(attempt) }
    }

    /// An attempt stayed silent for its RTO: send another, at the next eligible server not yet
    /// asked, else at the same server again with a new ID and at least twice the RTO, while
    /// the question is younger than `timeout_ms`. Any attempt's answer completes the question.
    private func retransmit(_ state: QuestionState, after silent: Attempt) {
        guard ContinuousClock.now - state.started < .milliseconds(max(1, configuration.timeoutMs)) else { return }
        if sendNext(state) { return }
        let server = silent.server
        guard server.isUsable, let index = state.candidates.firstIndex(where: { $0 === server }) else {
            // Its server went down meanwhile: any other usable server of the question.
            if let index = state.candidates.indices.first(where: { state.candidates[$0].isUsable }) {
                send(state, candidate: index)
            }
            return
        }
        server.retransmissions += 1
        logger.debug("resending after silence", metadata: ["question": "\(state.question)", "server": "\(server.label)"])
        send(state, candidate: index, rto: max(server.rtt.rto, silent.rto * 2))
    }

    func finish(_ state: QuestionState, _ result: UpstreamResult) {
        guard let completion = state.completion else { return }
        state.completion = nil
        state.onAllDown = nil
        if let timer = state.hedgeTimer { loop.cancel(timer) }
        questions[ObjectIdentifier(state)] = nil
        completion(result)
    }

    /// The attempt stayed silent for its RTO. The silence counts against the server only if
    /// nothing good came from it since the attempt was sent (a server that answers other
    /// questions meanwhile is alive: this was a lost packet or a slow name). c-ares keeps
    /// waiting for the attempt up to `timeout_ms`; a late answer still counts.
    private func rtoExpired(_ attempt: Attempt) {
        attempt.rtoTimer = nil
        attempt.pastRTO = true
        let server = attempt.server
        if server.wasSilent(since: attempt.started) {
            // Judged before backing off, so a probe it sends waits the RTO the silence was
            // measured with and a dead server is known as fast as before.
            apply(server.health.questionFailed(.timeout, now: .now), to: server)
            // Only a silent server's RTO backs off. A lost packet while the server answers
            // others is the question's own (its resend waits twice as long): hundreds of
            // losses in one burst must not push every new question's RTO to `timeout_ms`.
            server.rtt.timedOut()
        }
        schedulePublish()
        if let state = attempt.question, !state.isFinished { retransmit(state, after: attempt) }
    }

    // MARK: Attempts

    /// Builds our own query (question + bare OPT last, random ID unique on the channel,
    /// 0x20 case) and sends it. Nil when no channel could be made (the failure is recorded).
    @discardableResult
    func startAttempt(server: ServerState, question: DNSQuestion, dnssecOK: Bool, owner: QuestionState?) -> Attempt? {
        guard let channel = channel(for: server) else {
            owner?.lastError = .networkError("no c-ares channel")
            return nil
        }
        let randomize = configuration.randomizeCase && server.caseRandomization
        var sentQuestion = question
        if randomize { sentQuestion.name = question.name.randomizingCase(using: &random) }
        let id = channel.makeQueryID(using: &random)
        let query = DNSMessage.makeQuery(id: id, question: sentQuestion, dnssecOK: dnssecOK, udpPayloadSize: 1232)
        server.queries += 1
        server.lastQuestion = (question, dnssecOK)
        let attempt = Attempt(
            server: server, question: owner, queryID: id, sentQuestion: sentQuestion,
            usedCaseRandomization: randomize, started: .now)
        channel.send(query, id: id) { [self] reply in completed(attempt, reply) }
        return attempt
    }

    /// The server's current channel, replaced after `rotateAfterQueries` sends so the source
    /// port changes; the old one finishes its in-flight queries and is destroyed when idle.
    private func channel(for server: ServerState) -> CAresChannel? {
        if let channel = server.channel, channel.sent < max(1, configuration.rotateAfterQueries) {
            return channel
        }
        server.channel?.isRetired = true
        server.channel = nil
        do {
            server.channel = try CAresChannel(server: server.address, timeoutMs: configuration.timeoutMs, loop: loop)
        } catch {
            logger.error("cannot create c-ares channel", metadata: ["server": "\(server.label)", "error": "\(error)"])
        }
        return server.channel
    }

    private func completed(_ attempt: Attempt, _ reply: CAresReply) {
        if let timer = attempt.rtoTimer { loop.cancel(timer) }
        let server = attempt.server
        let elapsed = ContinuousClock.now - attempt.started
        var verdict: ReplyVerdict
        var measured: Duration?
        switch reply {
        case .failure(let status):
            verdict = .failure(CAresReply.error(forStatus: status))
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
            if !attempt.pastRTO, case .failure(let error) = verdict {
                let action = attempt.isProbe ? server.health.probeFailed(error, now: .now) : server.health.questionFailed(error, now: .now)
                apply(action, to: server)
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

        guard let state = attempt.question else { return }
        state.outstanding -= 1
        guard !state.isFinished else { return }
        if let error {
            state.lastError = error
            if !attempt.pastRTO { sendNext(state) }
            if state.outstanding == 0 { finish(state, .failed(error)) }
        } else if case .reply(let bytes) = reply {
            finish(state, .answer(reply: bytes, provider: server.provider, server: server.label))
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
