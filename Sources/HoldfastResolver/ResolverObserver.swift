// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastUpstream

/// The upstream side as the resolver sees it; `UpstreamPool` is the real one, tests script it.
public protocol UpstreamResolving: Sendable {
    /// Starts one question; `completion` runs exactly once, on whatever thread finished it.
    func start(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?,
               completion: @escaping @Sendable (UpstreamResult) -> Void)
    /// Every eligible server for `name` is marked down: nothing can be asked.
    func isKnownDown(for name: DNSName) -> Bool
    /// Every eligible server for `name` is down or suspect: known trouble, not to be waited out.
    func hasNoHealthyServer(for name: DNSName) -> Bool
    /// `handler` runs each time a server marked down comes back (the failure cache is emptied).
    func onServerRecovered(_ handler: @escaping @Sendable () -> Void)
    /// Runs `action` once after `delay` (client-timeout deadlines for waiters with stale data).
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void)
    /// The collapse guard's confirming question: asks every eligible provider but
    /// `excludingProvider`; `.failed(.noServers)` when there is no other.
    func startConfirming(_ question: DNSQuestion, dnssecOK: Bool, excludingProvider: String,
                         completion: @escaping @Sendable (UpstreamResult) -> Void)
}

extension UpstreamResolving {
    public func hasNoHealthyServer(for name: DNSName) -> Bool { isKnownDown(for: name) }
    public func onServerRecovered(_ handler: @escaping @Sendable () -> Void) {}
    /// No other provider to ask.
    public func startConfirming(_ question: DNSQuestion, dnssecOK: Bool, excludingProvider: String,
                                completion: @escaping @Sendable (UpstreamResult) -> Void) {
        completion(.failed(.noServers))
    }
}

extension UpstreamPool: UpstreamResolving {
    public func start(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?,
                      completion: @escaping @Sendable (UpstreamResult) -> Void) {
        start(question, dnssecOK: dnssecOK, excludingProvider: nil, onAllDown: onAllDown, completion: completion)
    }

    public func startConfirming(_ question: DNSQuestion, dnssecOK: Bool, excludingProvider: String,
                                completion: @escaping @Sendable (UpstreamResult) -> Void) {
        start(question, dnssecOK: dnssecOK, excludingProvider: excludingProvider, onAllDown: nil, completion: completion)
    }
}

/// Receives what the resolver did, for metrics and the query log. Called on the hot path:
/// implementations must be cheap (atomics, pre-made metric handles).
public protocol ResolverObserver: Sendable {
    /// One client query answered.
    func answered(_ query: ClientQuery, rcode: DNSRCode, source: AnswerSource, provider: String?, latencyNanos: UInt64)
    /// A query that joined an identical one already in flight.
    func coalesced()
    /// A background refresh of a popular entry started.
    func prefetchStarted()
    /// A client was answered from a hold (the last positive answer of a held name).
    func lastKnownGoodKept(name: DNSName)
    /// A name's positive answer collapsed (NXDOMAIN or empty, confirmed) and is now held.
    func answerCollapsed(name: DNSName)
    /// The number of holds in force changed.
    func holdsChanged(active: Int)
    /// A query that could not be parsed or was refused before resolution (FORMERR, NOTIMP...).
    func rejected(transport: Transport, rcode: DNSRCode?)
    /// A query answered from the failure cache (stale data or SERVFAIL), nothing sent upstream.
    func failureCacheHit()
    /// A miss answered at once (stale data or SERVFAIL) because `upstream.max_in_flight`
    /// questions were already waiting on upstreams.
    func inFlightLimitReached()
}

extension ResolverObserver {
    /// Observers that do not count it (test observers) need not implement it.
    public func inFlightLimitReached() {}
}

/// Observes nothing.
public struct NullResolverObserver: ResolverObserver {
    public init() {}
    public func answered(_ query: ClientQuery, rcode: DNSRCode, source: AnswerSource, provider: String?, latencyNanos: UInt64) {}
    public func coalesced() {}
    public func prefetchStarted() {}
    public func lastKnownGoodKept(name: DNSName) {}
    public func answerCollapsed(name: DNSName) {}
    public func holdsChanged(active: Int) {}
    public func rejected(transport: Transport, rcode: DNSRCode?) {}
    public func failureCacheHit() {}
}
