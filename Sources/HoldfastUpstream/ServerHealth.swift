/// The health of one upstream server, judged on the server and not on the names asked of it.
/// Pure: every method takes `now` and returns what the caller must do; the engine performs the
/// I/O (probes, logs, metrics).
///
/// - A failed question (SERVFAIL, REFUSED, a silence with nothing else heard from the server,
///   …) makes an up server *suspect* and asks for one probe at once (`Action.sendProbe`).
/// - The server is marked down only when it failed `failureThreshold` questions in a row
///   **and** its probe failed since the last success. A probe that succeeds clears the count.
///   So a name that fails everywhere costs its own questions and marks nobody down.
/// - A down server is probed every `probeInterval`; any good answer brings it back up.
public struct ServerHealth: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case up
        case down
    }

    /// Where the server's probe stands.
    public enum ProbeState: Sendable, Equatable {
        /// None in flight, and none failed since the last success.
        case idle
        case inFlight
        /// The last probe failed and nothing succeeded since: the next failure at the
        /// threshold marks the server down.
        case failed
    }

    /// What a caller must do after an event.
    public enum Action: Sendable, Equatable {
        case none
        /// The server just became suspect: send it one probe now (then call `probeSent`).
        case sendProbe
        /// Failed `failureThreshold` questions in a row and its probe: stop using it for client
        /// questions and probe it every `probeInterval`.
        case markedDown
        /// A good answer arrived while down: use it again, stop probing.
        case markedUp
    }

    public private(set) var state: State = .up
    public private(set) var consecutiveFailures = 0
    public private(set) var lastError: UpstreamError?
    public private(set) var probe: ProbeState = .idle
    /// When the next probe of a down server is due; nil while up.
    public private(set) var nextProbeAt: ContinuousClock.Instant?
    public var failureThreshold: Int
    public var probeInterval: Duration

    public init(failureThreshold: Int, probeInterval: Duration) {
        self.failureThreshold = max(1, failureThreshold)
        self.probeInterval = probeInterval
    }

    public var isUp: Bool { state == .up }

    /// Up, with failed questions counted since its last success.
    public var isSuspect: Bool { state == .up && consecutiveFailures > 0 }

    /// A question got a good answer (NOERROR/NXDOMAIN, validated) from the server.
    public mutating func questionAnswered(now: ContinuousClock.Instant) -> Action {
        succeeded()
    }

    /// A question failed at this server (timeout with the server silent, network error,
    /// SERVFAIL, REFUSED, a bad reply).
    public mutating func questionFailed(_ error: UpstreamError, now: ContinuousClock.Instant) -> Action {
        consecutiveFailures += 1
        lastError = error
        guard state == .up else { return .none }
        switch probe {
        case .idle:
            return .sendProbe
        case .inFlight:
            return .none
        case .failed:
            return consecutiveFailures >= failureThreshold ? markDown(now: now) : .none
        }
    }

    /// A probe was just sent. Up: the suspect probe; down: the periodic one, so the next is
    /// due one interval later.
    /// A failure whose attempt was already judged (its RTO passed and its silence counted):
    /// not counted again, but a more telling reason (a TLS handshake that timed out after
    /// the silence) replaces a bare "timeout" as the last error.
    public mutating func noteLateFailure(_ error: UpstreamError) {
        if case .tls = error { lastError = error }
    }

    public mutating func probeSent(now: ContinuousClock.Instant) {
        probe = .inFlight
        if state == .down { nextProbeAt = now + probeInterval }
    }

    /// The probe got a good answer: the failures were the names', not the server's.
    public mutating func probeAnswered(now: ContinuousClock.Instant) -> Action {
        succeeded()
    }

    /// The probe failed too (or could not be sent).
    public mutating func probeFailed(_ error: UpstreamError, now: ContinuousClock.Instant) -> Action {
        lastError = error
        probe = .failed
        guard state == .up, consecutiveFailures >= failureThreshold else { return .none }
        return markDown(now: now)
    }

    /// True when the server is down and its periodic probe is due.
    public func isProbeDue(now: ContinuousClock.Instant) -> Bool {
        guard state == .down, let nextProbeAt else { return false }
        return now >= nextProbeAt
    }

    private mutating func succeeded() -> Action {
        consecutiveFailures = 0
        probe = .idle
        guard state == .down else { return .none }
        state = .up
        nextProbeAt = nil
        return .markedUp
    }

    private mutating func markDown(now: ContinuousClock.Instant) -> Action {
        state = .down
        probe = .idle
        nextProbeAt = now + probeInterval
        return .markedDown
    }
}
