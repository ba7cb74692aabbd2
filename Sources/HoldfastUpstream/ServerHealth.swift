/// The up/down state machine of one upstream server. Pure: every method takes `now` and
/// returns what changed; the pool performs the I/O (probes, logs, metrics).
public struct ServerHealth: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case up
        case down
    }

    /// What a caller must do after an event.
    public enum Transition: Sendable, Equatable {
        case none
        /// Crossed `failureThreshold`: stop using the server for client questions, start probing.
        case markedDown
        /// A reply arrived while down: use it again, stop probing.
        case markedUp
    }

    public private(set) var state: State = .up
    public private(set) var consecutiveFailures = 0
    public private(set) var lastError: UpstreamError?
    /// When the next probe is due; nil while up.
    public private(set) var nextProbeAt: ContinuousClock.Instant?
    public var failureThreshold: Int
    public var probeInterval: Duration

    public init(failureThreshold: Int, probeInterval: Duration) {
        self.failureThreshold = max(1, failureThreshold)
        self.probeInterval = probeInterval
    }

    public var isUp: Bool { state == .up }

    /// A good answer (NOERROR/NXDOMAIN, validated) arrived.
    public mutating func recordSuccess(now: ContinuousClock.Instant) -> Transition {
        consecutiveFailures = 0
        guard state == .down else { return .none }
        state = .up
        nextProbeAt = nil
        return .markedUp
    }

    /// An attempt failed (timeout, network error, SERVFAIL, REFUSED, bad reply).
    public mutating func recordFailure(_ error: UpstreamError, now: ContinuousClock.Instant) -> Transition {
        consecutiveFailures += 1
        lastError = error
        guard state == .up, consecutiveFailures >= failureThreshold else { return .none }
        state = .down
        nextProbeAt = now + probeInterval
        return .markedDown
    }

    /// True when the server is down and its probe is due.
    public func isProbeDue(now: ContinuousClock.Instant) -> Bool {
        guard state == .down, let nextProbeAt else { return false }
        return now >= nextProbeAt
    }

    /// A probe was just sent: the next one is due one interval later.
    public mutating func probeSent(now: ContinuousClock.Instant) {
        guard state == .down else { return }
        nextProbeAt = now + probeInterval
    }
}
