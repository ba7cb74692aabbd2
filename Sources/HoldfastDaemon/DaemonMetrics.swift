// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import CoreMetrics
import DNSWire
import HoldfastResolver
import HoldfastUpstream
import Logging
import Prometheus
import Synchronization

/// Everything Holdfast counts: swift-metrics handles (made once, fixed labels) backed by a
/// private Prometheus registry, plus readable atomics for `/stats` and health. Implements
/// the resolver's and the upstream layer's observer protocols; optionally logs each query.
final class DaemonMetrics: ResolverObserver, UpstreamObserver, Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    let udp = RCodeCounters()
    let tcp = RCodeCounters()
    let events = EventCounters()
    let staleWindow = StaleWindow()
    private let clock: any MillisecondClock
    private let logQueries: Atomic<Bool>
    private let queryLogger: Logger

    /// `holdfast_queries_total` handles, indexed by `counterIndex(transport:rcode:)`.
    private let queryCounters: [CoreMetrics.Counter]
    private let requestDurations = RequestDurationHistogram()
    private let cacheHits: CoreMetrics.Counter
    private let cacheMisses: CoreMetrics.Counter
    private let staleAnswers: CoreMetrics.Counter
    private let coalescedCounter: CoreMetrics.Counter
    private let prefetchCounter: CoreMetrics.Counter
    private let lastKnownGoodCounter: CoreMetrics.Counter
    private let collapseCounter: CoreMetrics.Counter
    /// `holdfast_answers_held`: holds in force (collapse guard, last-known-good, operator).
    let answersHeld: CoreMetrics.Gauge
    private let failureCacheHitCounter: CoreMetrics.Counter
    private let retryBudgetCounter: CoreMetrics.Counter
    private let inFlightLimitCounter: CoreMetrics.Counter
    let cacheEntries: CoreMetrics.Gauge
    /// Per (provider, server, outcome): a struct key, so an attempt does not build a string.
    private struct AttemptKey: Hashable {
        let provider: String
        let server: String
        let outcome: AttemptOutcome
    }
    private let upstreamHandles = Mutex<[AttemptKey: CoreMetrics.Counter]>([:])
    private let rttHandles = Mutex<[String: CoreMetrics.Timer]>([:])
    private let upHandles = Mutex<[String: CoreMetrics.Gauge]>([:])
    private let connectionHandles = Mutex<[String: CoreMetrics.Gauge]>([:])
    private let handshakeHandles = Mutex<[String: CoreMetrics.Counter]>([:])

    init(clock: any MillisecondClock, logQueries: Bool, logger: Logger) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Upstream RTTs (the request-duration histogram is our own, lock-free: see below).
        factory.defaultDurationHistogramBuckets = RequestDurationHistogram.boundsNanos.map { .nanoseconds(Int64($0)) }
        self.registry = registry
        self.factory = factory
        self.clock = clock
        self.logQueries = Atomic(logQueries)
        self.queryLogger = logger
        var counters: [CoreMetrics.Counter] = []
        for transport in ["udp", "tcp"] {
            for rcode in CountedRCode.labels {
                counters.append(Counter(
                    label: "holdfast_queries_total", dimensions: [("protocol", transport), ("rcode", rcode)], factory: factory))
            }
        }
        queryCounters = counters
        cacheHits = Counter(label: "holdfast_cache_hits_total", factory: factory)
        cacheMisses = Counter(label: "holdfast_cache_misses_total", factory: factory)
        staleAnswers = Counter(label: "holdfast_cache_stale_answers_total", factory: factory)
        coalescedCounter = Counter(label: "holdfast_coalesced_total", factory: factory)
        prefetchCounter = Counter(label: "holdfast_prefetches_total", factory: factory)
        lastKnownGoodCounter = Counter(label: "holdfast_last_known_good_total", factory: factory)
        collapseCounter = Counter(label: "holdfast_answer_collapses_total", factory: factory)
        answersHeld = CoreMetrics.Gauge(label: "holdfast_answers_held", factory: factory)
        failureCacheHitCounter = Counter(label: "holdfast_failure_cache_hits_total", factory: factory)
        retryBudgetCounter = Counter(label: "holdfast_retry_budget_exhausted_total", factory: factory)
        inFlightLimitCounter = Counter(label: "holdfast_upstream_in_flight_limited_total", factory: factory)
        cacheEntries = CoreMetrics.Gauge(label: "holdfast_cache_entries", factory: factory)
        answersHeld.record(0)
    }

    func setLogQueries(_ enabled: Bool) { logQueries.store(enabled, ordering: .relaxed) }

    /// Position of (transport, rcode) in `queryCounters`, without building strings.
    @inline(__always)
    private static func counterIndex(transport: Transport, rcode: DNSRCode) -> Int {
        (transport == .udp ? 0 : CountedRCode.labels.count) + CountedRCode.index(rcode)
    }

    // MARK: ResolverObserver

    func answered(_ query: ClientQuery, rcode: DNSRCode, source: AnswerSource, provider: String?, latencyNanos: UInt64) {
        (query.transport == .udp ? udp : tcp).count(rcode)
        queryCounters[Self.counterIndex(transport: query.transport, rcode: rcode)].increment()
        requestDurations.record(source, nanoseconds: latencyNanos)
        switch source {
        case .cache:
            events.cacheHits.wrappingAdd(1, ordering: .relaxed)
            cacheHits.increment()
        case .stale, .held:
            events.staleAnswers.wrappingAdd(1, ordering: .relaxed)
            let now = clock.nowMillis()
            events.lastStaleMillis.store(now, ordering: .relaxed)
            staleWindow.record(nowMillis: now)
            staleAnswers.increment()
        case .upstream, .error:
            events.cacheMisses.wrappingAdd(1, ordering: .relaxed)
            cacheMisses.increment()
        case .local:
            events.localAnswers.wrappingAdd(1, ordering: .relaxed)
        }
        if logQueries.load(ordering: .relaxed) {
            queryLogger.info("query", metadata: [
                "client": "\(query.client)", "name": "\(query.question.name)", "type": "\(query.question.type)",
                "protocol": "\(query.transport.rawValue)", "rcode": "\(rcode)", "source": "\(source.rawValue)",
                "provider": "\(provider ?? "-")", "latency_us": "\(latencyNanos / 1000)",
            ])
        }
    }

    func coalesced() {
        events.coalesced.wrappingAdd(1, ordering: .relaxed)
        coalescedCounter.increment()
    }

    func prefetchStarted() {
        events.prefetches.wrappingAdd(1, ordering: .relaxed)
        prefetchCounter.increment()
    }

    func lastKnownGoodKept(name: DNSName) {
        events.lastKnownGood.wrappingAdd(1, ordering: .relaxed)
        lastKnownGoodCounter.increment()
    }

    func answerCollapsed(name: DNSName) {
        events.answerCollapses.wrappingAdd(1, ordering: .relaxed)
        collapseCounter.increment()
    }

    func holdsChanged(active: Int) {
        answersHeld.record(active)
    }

    func failureCacheHit() {
        events.failureCacheHits.wrappingAdd(1, ordering: .relaxed)
        failureCacheHitCounter.increment()
    }

    func inFlightLimitReached() {
        events.inFlightLimited.wrappingAdd(1, ordering: .relaxed)
        inFlightLimitCounter.increment()
    }

    func rejected(transport: Transport, rcode: DNSRCode?) {
        guard let rcode else {
            events.dropped.wrappingAdd(1, ordering: .relaxed)
            return
        }
        (transport == .udp ? udp : tcp).count(rcode)
        queryCounters[Self.counterIndex(transport: transport, rcode: rcode)].increment()
    }

    // MARK: UpstreamObserver

    func attemptFinished(provider: String, server: String, outcome: AttemptOutcome, rtt: Duration?) {
        // The raw value ("network_error", "servfail"), not the case name ("networkError").
        let outcomeLabel = outcome.rawValue
        events.upstreamRequests.wrappingAdd(1, ordering: .relaxed)
        // Cancelled attempts (shutdown, reload) are not the server's fault: the upstream layer
        // does not count them against the server either.
        if outcome != .answer && outcome != .cancelled {
            events.upstreamFailures.wrappingAdd(1, ordering: .relaxed)
        }
        let key = AttemptKey(provider: provider, server: server, outcome: outcome)
        let counter = upstreamHandles.withLock { handles in
            if let existing = handles[key] { return existing }
            let made = Counter(
                label: "holdfast_upstream_requests_total",
                dimensions: [("provider", provider), ("server", server), ("outcome", outcomeLabel)], factory: factory)
            handles[key] = made
            return made
        }
        counter.increment()
        if let rtt {
            let timer = rttHandles.withLock { handles in
                if let existing = handles[provider] { return existing }
                let made = Timer(label: "holdfast_upstream_rtt_seconds", dimensions: [("provider", provider)], factory: factory)
                handles[provider] = made
                return made
            }
            let (seconds, attoseconds) = rtt.components
            timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
    }

    func serverStateChanged(provider: String, server: String, isUp: Bool) {
        upGauge(provider: provider, server: server).record(isUp ? 1 : 0)
    }

    func tlsHandshake(provider: String, server: String, result: TLSHandshakeResult) {
        let key = "\(provider)|\(server)|\(result.rawValue)"
        let counter = handshakeHandles.withLock { handles in
            if let existing = handles[key] { return existing }
            let made = Counter(
                label: "holdfast_upstream_tls_handshakes_total",
                dimensions: [("provider", provider), ("server", server), ("result", result.rawValue)], factory: factory)
            handles[key] = made
            return made
        }
        counter.increment()
    }

    func retryBudgetExhausted() {
        events.retryBudgetExhausted.wrappingAdd(1, ordering: .relaxed)
        retryBudgetCounter.increment()
    }

    /// Sets `holdfast_upstream_up` for a server (also called at start for every server).
    func upGauge(provider: String, server: String) -> CoreMetrics.Gauge {
        gauge("holdfast_upstream_up", provider: provider, server: server, in: upHandles)
    }

    /// The per-server gauge `label` from `handles`, made on first use.
    private func gauge(_ label: String, provider: String, server: String, in handles: borrowing Mutex<[String: CoreMetrics.Gauge]>) -> CoreMetrics.Gauge {
        handles.withLock { handles in
            let key = "\(provider)|\(server)"
            if let existing = handles[key] { return existing }
            let made = CoreMetrics.Gauge(label: label, dimensions: [("provider", provider), ("server", server)], factory: factory)
            handles[key] = made
            return made
        }
    }

    /// Sets `holdfast_upstream_up` (every server) and `holdfast_upstream_connections`
    /// (encrypted servers) from the pool's current view, and drops the series of servers a
    /// reload removed (and adds those it added), so the gauges always match the running config.
    func syncUpstreamGauges(_ providers: [ProviderStatus]) {
        var up: [String: (provider: String, server: String, value: Int)] = [:]
        var connections: [String: (provider: String, server: String, value: Int)] = [:]
        for provider in providers {
            for server in provider.servers {
                let key = "\(provider.name)|\(server.address)"
                up[key] = (provider.name, server.address, server.isUp ? 1 : 0)
                if let connection = server.connection { connections[key] = (provider.name, server.address, connection.open) }
            }
        }
        sync("holdfast_upstream_up", handles: upHandles, to: up)
        sync("holdfast_upstream_connections", handles: connectionHandles, to: connections)
    }

    private func sync(_ label: String, handles: borrowing Mutex<[String: CoreMetrics.Gauge]>,
                      to values: [String: (provider: String, server: String, value: Int)]) {
        let removed: [CoreMetrics.Gauge] = handles.withLock { handles in
            let gone = handles.filter { values[$0.key] == nil }
            for key in gone.keys { handles[key] = nil }
            return Array(gone.values)
        }
        for gauge in removed { gauge.destroy() }
        for entry in values.values {
            gauge(label, provider: entry.provider, server: entry.server, in: handles).record(entry.value)
        }
    }

    /// Prometheus text exposition 0.0.4, with the gauges brought up to date first.
    func exposition(cacheEntryCount: Int, upstreams: [ProviderStatus], answersHeldCount: Int = 0) -> String {
        cacheEntries.record(cacheEntryCount)
        answersHeld.record(answersHeldCount)
        syncUpstreamGauges(upstreams)
        return registry.emitToString() + requestDurations.exposition()
    }
}
