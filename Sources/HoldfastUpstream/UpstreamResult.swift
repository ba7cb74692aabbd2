// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// Why one attempt (or a whole question) failed.
public enum UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No reply within the retransmission timeout or `timeout_ms`.
    case timeout
    /// Connection refused, unreachable, reset and the like (the c-ares status name).
    case networkError(String)
    case serverFailure
    case refused
    /// An rcode other than NOERROR, NXDOMAIN, SERVFAIL or REFUSED.
    case unexpectedRCode(DNSRCode)
    case malformedReply
    /// Wrong ID, QR=0, or a question that does not match (including 0x20 case).
    case mismatchedReply
    /// No provider serves this name (configuration).
    case noServers
    /// The pool was shut down or reconfigured away.
    case cancelled
    /// An encrypted transport could not connect securely: handshake, certificate, name or pin
    /// (the text starts with "tls: "). Nothing was sent to the server.
    case tls(String)

    public var description: String {
        switch self {
        case .timeout: return "timeout"
        case .networkError(let what): return "network error (\(what))"
        case .serverFailure: return "SERVFAIL"
        case .refused: return "REFUSED"
        case .unexpectedRCode(let rcode): return "rcode \(rcode)"
        case .malformedReply: return "malformed reply"
        case .mismatchedReply: return "mismatched reply"
        case .noServers: return "no upstream server for this name"
        case .cancelled: return "cancelled"
        case .tls(let what): return what
        }
    }

    /// The outcome label for metrics.
    public var outcome: AttemptOutcome {
        switch self {
        case .timeout: return .timeout
        case .networkError: return .networkError
        case .serverFailure: return .serverFailure
        case .refused: return .refused
        case .unexpectedRCode: return .otherRCode
        case .malformedReply: return .malformed
        case .mismatchedReply: return .mismatched
        case .noServers, .cancelled: return .cancelled
        case .tls: return .tlsError
        }
    }
}

/// What became of one attempt at one server (a metrics label).
public enum AttemptOutcome: String, Sendable, CaseIterable {
    case answer
    case timeout
    case networkError = "network_error"
    case serverFailure = "servfail"
    case refused
    case otherRCode = "rcode"
    case malformed
    case mismatched
    case cancelled
    /// A TLS handshake, certificate, name or pin failure (encrypted transports).
    case tlsError = "tls_error"
}

/// The outcome of one question.
public enum UpstreamResult: Sendable {
    /// A validated NOERROR/NXDOMAIN reply, bytes as received: the upstream ID and the
    /// (possibly 0x20-randomised) name case are still in it; the caller restores the client's.
    /// `attempts`: how many attempts the question sent (the answering one included).
    case answer(reply: [UInt8], provider: String, server: String, attempts: Int = 1)
    /// Every attempt failed; carries the last error.
    case failed(UpstreamError)
    /// Known-down short cut: no eligible server is up, nothing was sent.
    case allDown
}

/// Receives per-attempt and per-server events (the daemon maps them to metrics).
/// Called on the c-ares loop thread: keep it cheap and never block.
public protocol UpstreamObserver: Sendable {
    func attemptFinished(provider: String, server: String, outcome: AttemptOutcome, rtt: Duration?)
    func serverStateChanged(provider: String, server: String, isUp: Bool)
    /// The retry budget refused an extra attempt (a hedge, retry or resend).
    func retryBudgetExhausted()
    /// An encrypted transport finished (or failed) a handshake with a server.
    func tlsHandshake(provider: String, server: String, result: TLSHandshakeResult)
}

extension UpstreamObserver {
    public func retryBudgetExhausted() {}
    public func tlsHandshake(provider: String, server: String, result: TLSHandshakeResult) {}
}

/// How a TLS handshake ended (the `result` label of the handshake metric).
public enum TLSHandshakeResult: String, Sendable, CaseIterable {
    case ok
    case resumed
    case failed
}

/// A snapshot of one server for `/upstreams` and `holdfastctl upstreams`.
public struct ServerStatus: Sendable, Equatable {
    public var address: String
    /// Not marked down (a suspect server is up).
    public var isUp: Bool
    /// Up, but being checked by a probe after a silence or `failure_threshold` failures in a
    /// row: asked only after the healthy servers.
    public var isSuspect: Bool = false
    /// Smoothed RTT in milliseconds; nil until measured.
    public var smoothedRTTMs: Double?
    /// Current retransmission timeout in milliseconds.
    public var retransmitTimeoutMs: Double
    public var consecutiveFailures: Int
    public var lastError: String?
    public var queries: UInt64
    public var failures: UInt64
    /// False once the server was seen not to preserve name case (0x20 off for it).
    public var caseRandomization: Bool
    /// "dns", "tls" or "https".
    public var transport: String = "dns"
    /// Encrypted transports only (nil for `dns`): open connections, finished handshakes
    /// (resumed ones included) and resumed handshakes.
    public var connection: ConnectionStatistics?
}

/// An encrypted transport's connections to one server, for `/upstreams` and metrics.
public struct ConnectionStatistics: Sendable, Equatable {
    public var open: Int = 0
    public var handshakes: UInt64 = 0
    public var resumed: UInt64 = 0
    public init() {}
}

/// A snapshot of one provider and its servers.
public struct ProviderStatus: Sendable, Equatable {
    public var name: String
    public var servers: [ServerStatus]
}
