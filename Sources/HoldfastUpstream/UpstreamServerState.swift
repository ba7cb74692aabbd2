// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// Everything the pool knows about one server. Loop-thread only (see `UpstreamEngine`).
final class ServerState {
    let provider: String
    let address: UpstreamServerAddress
    let label: String
    var health: ServerHealth
    var rtt: SmoothedRTT
    /// How queries reach this server (c-ares for `dns`, TLS for `tls`), and its settings.
    var transport: any UpstreamTransport = NoTransport()
    var transportKind: UpstreamConfiguration.Transport
    var caseMismatches = 0
    var caseRandomization = true
    /// The last question sent here, and the last one it answered well: a probe re-sends the
    /// answered one (a name the server is known to serve), else the last one asked.
    var lastQuestion: (question: DNSQuestion, dnssecOK: Bool)?
    var lastAnsweredQuestion: (question: DNSQuestion, dnssecOK: Bool)?
    /// When the server last gave a good answer to anything: an attempt that times out after
    /// this server answered something else since it was sent was a lost packet or a slow
    /// name, not a silent server.
    var lastAnswerAt: ContinuousClock.Instant?
    var queries: UInt64 = 0
    var failures: UInt64 = 0
    /// The periodic probe of a down server.
    var probeTimer: TimerHeap.ID?
    /// When a state change of this server was last logged at notice/warning level, and how
    /// many changes were logged at debug level since (flap damping for the log).
    var lastLoggedChange: ContinuousClock.Instant?
    var quietChanges = 0
    /// Dropped by a reload: finishes what is in flight, takes nothing new.
    var removed = false

    init(provider: String, address: UpstreamServerAddress, configuration: UpstreamConfiguration,
         transportKind: UpstreamConfiguration.Transport) {
        self.provider = provider
        self.address = address
        self.transportKind = transportKind
        self.label = address.description
        self.health = ServerHealth(
            failureThreshold: configuration.failureThreshold,
            probeInterval: .seconds(max(1, configuration.probeIntervalSeconds)))
        self.rtt = SmoothedRTT(ceilingMs: Double(max(1, configuration.timeoutMs)))
    }

    /// Not down and not removed: questions may be sent here (suspect servers after the others).
    var isUsable: Bool { health.isUp && !removed }

    /// Usable and not suspect.
    var isHealthy: Bool { health.isHealthy && !removed }

    /// True when nothing good came from this server since `instant`.
    func wasSilent(since instant: ContinuousClock.Instant) -> Bool {
        guard let lastAnswerAt else { return true }
        return lastAnswerAt < instant
    }

    var status: ServerStatus {
        ServerStatus(
            address: label, isUp: health.isUp, isSuspect: health.isSuspect, smoothedRTTMs: rtt.smoothed, retransmitTimeoutMs: rtt.rtoMs,
            consecutiveFailures: health.consecutiveFailures, lastError: health.lastError?.description,
            queries: queries, failures: failures, caseRandomization: caseRandomization,
            transport: transportKind.name, connection: transport.statistics)
    }
}

/// One client question being answered: its candidate servers, its decisions (`machine`) and
/// the way back to its caller. Loop-thread only.
final class QuestionState {
    let question: DNSQuestion
    let dnssecOK: Bool
    /// Called once, on the loop thread, with the question's result; nil once finished.
    var completion: (@Sendable (UpstreamResult) -> Void)?
    /// Usable servers at the start, in the order the policy tries them.
    let candidates: [ServerState]
    /// Every server of every eligible provider (for the "no healthy server" check while waiting).
    let eligible: [ServerState]
    var machine: QuestionMachine
    var hedgeTimer: TimerHeap.ID?
    /// Fired once when no eligible server is healthy (every one down or suspect).
    var onAllDown: (@Sendable () -> Void)?

    init(question: DNSQuestion, dnssecOK: Bool, completion: @escaping @Sendable (UpstreamResult) -> Void,
         candidates: [ServerState], eligible: [ServerState], onAllDown: (@Sendable () -> Void)?, machine: QuestionMachine,
         budget: RetryBudgetBox) {
        self.budget = budget
        self.question = question
        self.dnssecOK = dnssecOK
        self.completion = completion
        self.candidates = candidates
        self.eligible = eligible
        self.onAllDown = onAllDown
        self.machine = machine
    }

    var isFinished: Bool { completion == nil }

    /// The pool's retry budget, shared by every question.
    let budget: RetryBudgetBox

    /// The candidates as the machine sees them: usable now, their RTOs, the retry budget.
    var view: CandidateView { CandidateView(candidates: candidates, budget: budget) }
}

/// `QuestionMachine.Servers` over the engine's server states and retry budget.
struct CandidateView: QuestionMachine.Servers {
    let candidates: [ServerState]
    let budget: RetryBudgetBox
    func isUsable(_ candidate: Int) -> Bool { candidates[candidate].isUsable }
    func isSuspect(_ candidate: Int) -> Bool { candidates[candidate].health.isSuspect }
    func rto(_ candidate: Int) -> Duration { candidates[candidate].rtt.rto }
    func resendsToSameServer(_ candidate: Int) -> Bool { !candidates[candidate].transport.isStream }
    func allowExtraAttempt() -> Bool {
        let allowed = budget.value.spendExtra(now: .now)
        if !allowed { budget.onExhausted?() }
        return allowed
    }
}

/// The engine's one retry budget, referenced by every question's view. Loop-thread only.
final class RetryBudgetBox {
    var value: RetryBudget
    /// Told each time an extra attempt is refused (metrics).
    let onExhausted: (() -> Void)?
    init(_ value: RetryBudget, onExhausted: (() -> Void)?) {
        self.value = value
        self.onExhausted = onExhausted
    }
}

/// One `ares_send` to one server, for a client question or a probe.
final class Attempt {
    let server: ServerState
    /// Nil for a probe.
    let question: QuestionState?
    /// The attempt's number in its question's machine (-1 for a probe).
    let number: Int
    /// Set once the transport chose it.
    var queryID: UInt16
    let sentQuestion: DNSQuestion
    let usedCaseRandomization: Bool
    let started: ContinuousClock.Instant
    /// How long this attempt may stay silent before the question moves on (or resends).
    var rto: Duration = .zero
    var rtoTimer: TimerHeap.ID?
    /// The RTO passed: the silence was judged (a server failure only if the server was silent
    /// to everything) and the question moved on; a later failure is not counted again.
    var pastRTO = false

    var isProbe: Bool { question == nil }

    init(server: ServerState, question: QuestionState?, number: Int, queryID: UInt16, sentQuestion: DNSQuestion,
         usedCaseRandomization: Bool, started: ContinuousClock.Instant) {
        self.server = server
        self.question = question
        self.number = number
        self.queryID = queryID
        self.sentQuestion = sentQuestion
        self.usedCaseRandomization = usedCaseRandomization
        self.started = started
    }
}

/// How a reply checked out.
enum ReplyVerdict: Equatable {
    case answer
    case failure(UpstreamError)
    /// Valid except that the 0x20 case was not echoed.
    case caseMismatch
}

extension Attempt {
    /// Checks ID, QR, the question (name, type, class; exact case under 0x20) and the rcode.
    /// Reads only the header, the question and the OPT (the resolver decodes the records once,
    /// when it stores the answer).
    func verdict(for reply: [UInt8]) -> ReplyVerdict {
        guard let message = try? ParsedQuery(bytes: reply) else { return .failure(.malformedReply) }
        guard message.header.id == queryID, message.header.isResponse, message.questionCount == 1,
              let echoed = message.question else {
            return .failure(.mismatchedReply)
        }
        guard echoed.name == sentQuestion.name, echoed.type == sentQuestion.type,
              echoed.qclass == sentQuestion.qclass else {
            return .failure(.mismatchedReply)
        }
        if usedCaseRandomization && !echoed.name.hasIdenticalCase(to: sentQuestion.name) { return .caseMismatch }
        let rcode = DNSRCode(UInt16(message.edns?.extendedRCode ?? 0) << 4 | UInt16(message.header.rcodeLow))
        switch rcode {
        case .noError, .nxDomain: return .answer
        case .serverFailure: return .failure(.serverFailure)
        case .refused: return .failure(.refused)
        default: return .failure(.unexpectedRCode(rcode))
        }
    }
}
