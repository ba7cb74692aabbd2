// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The health of one upstream server, judged on the server and not on the names asked of it,
/// nor on how slow it is. Pure: every method takes `now` and returns what the caller must do;
/// the engine performs the I/O (probes, logs, metrics, failing the attempts waiting on a server
/// that went down).
///
/// - **Suspect**: `failureThreshold` attempts in a row failed at the server (an error, or
///   silence for `timeout_ms` with nothing heard from it meanwhile), or an attempt was silent
///   for its RTO with nothing heard from the server since it was sent. A suspect server gets one
///   probe at once (`Action.sendProbe`) and is asked only after the healthy servers.
/// - **Down**: only when that probe fails — an error, or no answer within `timeout_ms`. Silence
///   past an RTO is never by itself a failure, so a server that answers within `timeout_ms`
///   (however much slower than before) is never marked down.
/// - **Up again**: any answer that is not a failure (to a question or a probe) clears the
///   suspicion and the count, and brings a down server back (`Action.markedUp`).
/// - A down server is probed every `probeInterval`.
public struct ServerHealth: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case up
        /// Up, but a probe is checking it: asked after the healthy servers.
        case suspect
        case down
    }

    /// Where the server's probe stands.
    public enum ProbeState: Sendable, Equatable {
        case idle
        case inFlight
    }

    /// What a caller must do after an event.
    public enum Action: Sendable, Equatable {
        case none
        /// The server just became suspect: send it one probe now (then call `probeSent`).
        case sendProbe
        /// The server answered while suspect: healthy again (publish the change).
        case cleared
        /// The probe of a suspect server failed: stop using it, fail the attempts waiting on
        /// it (their questions move on), probe it every `probeInterval`.
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

    /// Not marked down (healthy or suspect): questions may be sent to it.
    public var isUp: Bool { state != .down }

    /// Up but being checked: asked only after the healthy servers.
    public var isSuspect: Bool { state == .suspect }

    /// Neither suspect nor down.
    public var isHealthy: Bool { state == .up }

    // MARK: Questions

    /// An attempt of a question got a good answer (NOERROR/NXDOMAIN, validated).
    public mutating func questionAnswered(now: ContinuousClock.Instant) -> Action {
        succeeded()
    }

    /// An attempt of a question failed at this server: an error (SERVFAIL, REFUSED, a network
    /// error, a bad reply) or silence for `timeout_ms` while nothing else came from the server.
    /// The `failureThreshold`-th failure in a row makes the server suspect.
    public mutating func questionFailed(_ error: UpstreamError, now: ContinuousClock.Instant) -> Action {
        consecutiveFailures += 1
        lastError = error
        guard state == .up, consecutiveFailures >= failureThreshold else { return .none }
        return becomeSuspect()
    }

    /// An attempt stayed silent for its RTO and nothing came back from the server since it was
    /// sent: not a failure, but a reason to check the server (suspect, probe).
    public mutating func silentPastRTO(now: ContinuousClock.Instant) -> Action {
        guard state == .up else { return .none }
        return becomeSuspect()
    }

    /// A failure whose attempt is not held against the server (its question had moved on and
    /// the server kept answering others): not counted, but a more telling reason (a TLS
    /// handshake that timed out) replaces a bare "timeout" as the last error.
    public mutating func noteLateFailure(_ error: UpstreamError) {
        if case .tls = error { lastError = error }
    }

    // MARK: Probes

    /// A probe was just sent. Down: the periodic one, so the next is due one interval later.
    public mutating func probeSent(now: ContinuousClock.Instant) {
        probe = .inFlight
        if state == .down { nextProbeAt = now + probeInterval }
    }

    /// The probe got a good answer: the failures were the names', not the server's.
    public mutating func probeAnswered(now: ContinuousClock.Instant) -> Action {
        probe = .idle
        return succeeded()
    }

    /// The probe failed: an error, or no answer within `timeout_ms` (or it could not be sent).
    /// A suspect server is marked down; a server cleared meanwhile by another answer stays up.
    public mutating func probeFailed(_ error: UpstreamError, now: ContinuousClock.Instant) -> Action {
        probe = .idle
        switch state {
        case .suspect:
            lastError = error
            return markDown(now: now)
        case .down:
            lastError = error
            return .none
        case .up:
            return .none
        }
    }

    /// True when the server is down and its periodic probe is due.
    public func isProbeDue(now: ContinuousClock.Instant) -> Bool {
        guard state == .down, let nextProbeAt else { return false }
        return now >= nextProbeAt
    }

    // MARK: Transitions

    private mutating func becomeSuspect() -> Action {
        state = .suspect
        return probe == .inFlight ? .none : .sendProbe
    }

    private mutating func succeeded() -> Action {
        consecutiveFailures = 0
        switch state {
        case .up:
            return .none
        case .suspect:
            state = .up
            return .cleared
        case .down:
            state = .up
            nextProbeAt = nil
            return .markedUp
        }
    }

    private mutating func markDown(now: ContinuousClock.Instant) -> Action {
        state = .down
        nextProbeAt = now + probeInterval
        return .markedDown
    }
}
