import DNSWire
import HoldfastUpstream

/// The upstream side as the resolver sees it; `UpstreamPool` is the real one, tests script it.
public protocol UpstreamResolving: Sendable {
    /// Starts one question; `completion` runs exactly once, on whatever thread finished it.
    func start(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?,
               completion: @escaping @Sendable (UpstreamResult) -> Void)
    func isKnownDown(for name: DNSName) -> Bool
    /// Runs `action` once after `delay` (client-timeout deadlines for waiters with stale data).
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void)
}

extension UpstreamPool: UpstreamResolving {}

/// Receives what the resolver did, for metrics and the query log. Called on the hot path:
/// implementations must be cheap (atomics, pre-made metric handles).
public protocol ResolverObserver: Sendable {
    /// One client query answered.
    func answered(_ query: ClientQuery, rcode: DNSRCode, source: AnswerSource, provider: String?, latencyNanos: UInt64)
    /// A query that joined an identical one already in flight.
    func coalesced()
    /// A background refresh of a popular entry started.
    func prefetchStarted()
    /// A last-known-good answer was kept over a negative one.
    func lastKnownGoodKept(name: DNSName)
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
    public func rejected(transport: Transport, rcode: DNSRCode?) {}
    public func failureCacheHit() {}
}
