// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import HoldfastUpstream
import Logging
import Synchronization

/// The query pipeline and every resilience decision: local answers, the cache fast path,
/// coalescing, prefetch, serve-stale, last-known-good and Extended DNS Errors.
/// No sockets: the server hands it bytes and writes back what it returns.
public final class QueryResolver: Sendable {
    /// What to do with a packet, decided synchronously on the thread that read it.
    public enum Disposition: Sendable {
        /// Ignore it (responses, runts).
        case drop
        /// Answer now with these bytes (FORMERR, NOTIMP, BADVERS...).
        case raw([UInt8])
        /// Answer now: write `reply` for `query`.
        case answer(ClientQuery, Reply)
        /// Needs upstream work: call `resolve(_:)` off the event loop.
        case resolve(ClientQuery)
    }

    let configuration: Mutex<ResolverConfiguration>
    let cache: DNSCache
    let upstream: any UpstreamResolving
    let clock: any MillisecondClock
    let observer: any ResolverObserver
    let logger: Logger
    let flights = FlightTable()
    /// Questions whose every upstream attempt failed recently (RFC 9520).
    public let failures: FailureCache
    /// The collapse guard's holds (and the operator's), see `QueryResolver+Collapse.swift`.
    public let holds = HoldTable()

    public init(
        configuration: ResolverConfiguration, cache: DNSCache, upstream: any UpstreamResolving,
        clock: any MillisecondClock = SystemMillisecondClock(), observer: any ResolverObserver = NullResolverObserver(),
        logger: Logger
    ) {
        self.configuration = Mutex(configuration)
        self.failures = FailureCache(ttlSeconds: configuration.failureTTLSeconds, maxTTLSeconds: configuration.failureMaxTTLSeconds)
        self.cache = cache
        self.upstream = upstream
        self.clock = clock
        self.observer = observer
        self.logger = logger
        // A server that comes back makes every remembered failure worth asking again.
        upstream.onServerRecovered { [failures] in _ = failures.flush() }
    }

    /// Replaces the resolver settings (SIGHUP); the cache and flights are untouched.
    public func reconfigure(_ newConfiguration: ResolverConfiguration) {
        configuration.withLock { $0 = newConfiguration }
        failures.reconfigure(ttlSeconds: newConfiguration.failureTTLSeconds, maxTTLSeconds: newConfiguration.failureMaxTTLSeconds)
    }

    /// Fetches in progress.
    public var inFlightCount: Int { flights.count }

    // MARK: - Synchronous path

    /// Decodes a packet and answers it if it can without waiting: errors, local names,
    /// fresh cache hits, stale answers whose refresh is known to be futile.
    public func handle(_ packet: UnsafeRawBufferPointer, transport: Transport, client: ClientEndpoint) -> Disposition {
        handle(packet, transport: transport, client: client, observer: observer)
    }

    /// The daemon's watchdog self-check: the same path, but not counted or logged.
    public func handleUnobserved(_ packet: UnsafeRawBufferPointer) -> Disposition {
        handle(packet, transport: .udp, client: ClientEndpoint(), observer: NullResolverObserver())
    }

    func handle(_ packet: UnsafeRawBufferPointer, transport: Transport, client: ClientEndpoint, observer: some ResolverObserver) -> Disposition {
        let received = monotonicNanoseconds()
        guard packet.count >= 12 else {
            observer.rejected(transport: transport, rcode: nil)
            return .drop
        }
        let flags = UInt16(packet[2]) << 8 | UInt16(packet[3])
        guard flags & DNSHeader.Flag.response == 0 else {
            observer.rejected(transport: transport, rcode: nil)
            return .drop
        }
        let parsed: ParsedQuery
        do {
            parsed = try ParsedQuery(buffer: packet)
        } catch {
            let id = UInt16(packet[0]) << 8 | UInt16(packet[1])
            observer.rejected(transport: transport, rcode: .formatError)
            return .raw(Self.headerOnlyResponse(id: id, flags: flags, rcode: .formatError))
        }
        guard parsed.header.opcode == .query else {
            observer.rejected(transport: transport, rcode: .notImplemented)
            return .raw(Self.errorResponse(parsed, rcode: .notImplemented))
        }
        guard parsed.questionCount == 1, let question = parsed.question else {
            observer.rejected(transport: transport, rcode: .formatError)
            return .raw(Self.errorResponse(parsed, rcode: .formatError))
        }
        if let edns = parsed.edns, edns.version != 0 {
            observer.rejected(transport: transport, rcode: .badVersion)
            return .raw(Self.errorResponse(parsed, rcode: .badVersion))
        }
        let query = ClientQuery(
            header: parsed.header, question: question, edns: parsed.edns, transport: transport,
            maxResponseSize: transport == .udp ? parsed.udpResponseLimit() : 65_535, client: client,
            receivedNanos: received)
        if question.type == .axfr || question.type == .ixfr {
            return answerNow(query, .message(Self.response(to: query, rcode: .refused)), source: .error, observer: observer)
        }
        let (local, prefetchEnabled) = configuration.withLock { ($0.localZone.answer(for: question), $0.prefetch) }
        if let local {
            return answerNow(query, .message(Self.localResponse(to: query, local)), source: .local, observer: observer)
        }
        let key = CacheKey(query)
        let now = clock.nowMillis()
        let lookup = cache.lookup(key, now: now)
        if !holds.isEmpty, !Self.isFreshPositive(lookup), let held = heldAnswer(query, key: key, now: now, observer: observer) {
            return held
        }
        switch lookup {
        case .fresh(let hit, let prefetch):
            if prefetch && prefetchEnabled { startPrefetch(key, query: query) }
            return answerNow(query, .stored(hit.answer, ttl: .countDown(elapsedSeconds: hit.elapsedSeconds), extendedErrors: []), source: .cache, observer: observer)
        case .stale(let hit, _, let refreshBlocked):
            return decided(query, key: key, stale: hit.answer, refreshRecentlyFailed: refreshBlocked, now: now, observer: observer)
        case .miss:
            return decided(query, key: key, stale: nil, refreshRecentlyFailed: false, now: now, observer: observer)
        }
    }

    /// Performs the stale decision for a query that missed the fresh cache. The upstream and
    /// failure-cache look-ups are made only while they can still change the decision.
    private func decided(
        _ query: ClientQuery, key: CacheKey, stale: StoredAnswer?, refreshRecentlyFailed: Bool, now: UInt64,
        observer: some ResolverObserver
    ) -> Disposition {
        var inputs = StaleDecision.Inputs(hasStale: stale != nil, refreshRecentlyFailed: refreshRecentlyFailed)
        inputs.upstreamKnownDown = !refreshRecentlyFailed && upstream.isKnownDown(for: query.question.name)
        inputs.recentlyFailed = !refreshRecentlyFailed && !inputs.upstreamKnownDown && failures.blocking(key, now: now) != nil
        inputs.noHealthyServer = stale != nil && !refreshRecentlyFailed && !inputs.upstreamKnownDown && !inputs.recentlyFailed
            && upstream.hasNoHealthyServer(for: query.question.name)
        let decision = StaleDecision.beforeFetch(inputs)
        if case .fetch = decision { return .resolve(query) }
        if decision == .answerStaleAndRefresh, let stale {
            refreshBehindStale(key, question: query.question)
            return answerNow(query, staleReply(stale), source: .stale, observer: observer)
        }
        if inputs.recentlyFailed { observer.failureCacheHit() }
        if decision == .answerStale, let stale {
            return answerNow(query, staleReply(stale), source: .stale, observer: observer)
        }
        return answerNow(query, .message(Self.serverFailure(to: query)), source: .error, observer: observer)
    }

    func answerNow(_ query: ClientQuery, _ reply: Reply, source: AnswerSource, provider: String? = nil, observer: some ResolverObserver) -> Disposition {
        observer.answered(query, rcode: reply.rcode, source: source, provider: provider, latencyNanos: monotonicNanoseconds() &- query.receivedNanos)
        return .answer(query, reply)
    }

    func staleReply(_ answer: StoredAnswer) -> Reply {
        let ttl = configuration.withLock { $0.staleAnswerTTLSeconds }
        return .stored(answer, ttl: .fixed(ttl), extendedErrors: [ExtendedDNSError.staleAnswer])
    }

    /// The answer for a client outside the ACL: REFUSED, nothing forwarded. Unparseable
    /// packets are dropped rather than answered.
    public func refusal(for packet: UnsafeRawBufferPointer, transport: Transport) -> [UInt8]? {
        observer.rejected(transport: transport, rcode: .refused)
        guard packet.count >= 12, UInt16(packet[2]) << 8 & DNSHeader.Flag.response == 0, let parsed = try? ParsedQuery(buffer: packet) else { return nil }
        return Self.errorResponse(parsed, rcode: .refused)
    }

    /// The answer for a UDP client over its rate limit: the question with TC=1 and nothing
    /// else, so a legitimate client retries over TCP. Unparseable packets are dropped.
    public func rateLimited(_ packet: UnsafeRawBufferPointer, transport: Transport) -> [UInt8]? {
        observer.rejected(transport: transport, rcode: nil)
        guard packet.count >= 12, UInt16(packet[2]) << 8 & DNSHeader.Flag.response == 0, let parsed = try? ParsedQuery(buffer: packet),
              parsed.questionCount == 1, let question = parsed.question else { return nil }
        var header = DNSHeader(id: parsed.header.id, flags: parsed.header.flags & DNSHeader.Flag.copiedFromQuery)
        header.isResponse = true
        header.recursionAvailable = true
        header.truncated = true
        return DNSMessage(header: header, questions: [question]).serialize()
    }

    // MARK: - Asynchronous path

    /// Resolves a query the synchronous path could not answer. Never fails: every outcome is an
    /// answer (fresh, stale, last-known-good or SERVFAIL with EDE 22). `respond` runs once, on
    /// the thread that settled it — usually the upstream loop thread, which read the reply — so
    /// a miss crosses threads only to reach that loop and back to the socket: no `Task`, no
    /// continuation, no timer task per waiting client.
    public func resolve(_ query: ClientQuery, respond: @escaping @Sendable (Reply) -> Void) {
        resolve(query, observer: observer) { respond($0.reply) }
    }

    /// `resolve(_:respond:)` telling how the answer was found (`GET /query`).
    func resolve(_ query: ClientQuery, observer: some ResolverObserver, respond: @escaping @Sendable (Resolution) -> Void) {
        let key = CacheKey(query)
        let now = clock.nowMillis()
        var inputs = StaleDecision.Inputs(hasStale: false)
        if case .stale = cache.peek(key, now: now) { inputs.hasStale = true }
        // The question may have failed since the synchronous path looked.
        inputs.recentlyFailed = failures.blocking(key, now: now) != nil
        guard case .fetch(let staleFallback) = StaleDecision.beforeFetch(inputs) else {
            observer.failureCacheHit()
            return deliver(.done(.failed), key: key, query: query, observer: observer, respond: respond)
        }
        guard let joined = flights.join(key, limit: configuration.withLock { $0.maxInFlight }) else {
            // Too many questions already wait on upstreams: answer now (stale or SERVFAIL)
            // rather than hold one more.
            observer.inFlightLimitReached()
            return deliver(.done(.failed), key: key, query: query, observer: observer, respond: respond)
        }
        let (flight, isLeader) = joined
        if isLeader {
            startFetch(key, question: query.question, flight: flight)
        } else {
            observer.coalesced()
        }
        let armDeadline = flight.wait(early: staleFallback) { [self] event in
            deliver(event, key: key, query: query, observer: observer, respond: respond)
        }
        if armDeadline {
            let timeout = configuration.withLock { $0.clientTimeoutMs }
            let remaining = flight.started + .milliseconds(timeout) - ContinuousClock.now
            upstream.schedule(after: max(.zero, remaining)) { flight.deadlinePassed() }
        }
    }

    /// `resolve(_:respond:)` for async callers (tests).
    public func resolve(_ query: ClientQuery) async -> Reply {
        await withCheckedContinuation { continuation in
            resolve(query) { continuation.resume(returning: $0) }
        }
    }

    private func deliver(_ event: FlightEvent, key: CacheKey, query: ClientQuery, observer: some ResolverObserver,
                         respond: @Sendable (Resolution) -> Void) {
        let resolution = resolution(for: event, key: key, query: query)
        if resolution.source == .held {
            holds.noteServed(key)
            observer.lastKnownGoodKept(name: key.name)
        }
        observer.answered(
            query, rcode: resolution.reply.rcode, source: resolution.source, provider: resolution.via?.provider,
            latencyNanos: monotonicNanoseconds() &- query.receivedNanos)
        respond(resolution)
    }

    private func resolution(for event: FlightEvent, key: CacheKey, query: ClientQuery) -> Resolution {
        switch event {
        case .done(.answer(let answer, let via)):
            return Resolution(reply: .stored(answer, ttl: .countDown(elapsedSeconds: 0), extendedErrors: []), source: .upstream, via: via)
        case .done(.held(let answer, let via)):
            return Resolution(reply: staleReply(answer), source: .held, via: via)
        case .done(.failed), .done(.allDown), .allDown, .timedOut:
            var stale: StoredAnswer?
            if case .stale(let hit, _, _) = cache.peek(key, now: clock.nowMillis()) { stale = hit.answer }
            if StaleDecision.afterFailure(hasStale: stale != nil) == .answerStale, let stale {
                return Resolution(reply: staleReply(stale), source: .stale, via: nil)
            }
            return Resolution(reply: .message(Self.serverFailure(to: query)), source: .error, via: nil)
        }
    }

    /// Stale data was answered because no server is healthy: refresh it in the background (one
    /// fetch per question, shared with any already running).
    private func refreshBehindStale(_ key: CacheKey, question: DNSQuestion) {
        guard let joined = flights.join(key, limit: configuration.withLock { $0.maxInFlight }), joined.isLeader else { return }
        startFetch(key, question: question, flight: joined.flight)
    }

    func startPrefetch(_ key: CacheKey, query: ClientQuery) {
        guard failures.blocking(key, now: clock.nowMillis()) == nil else { return }
        guard let joined = flights.join(key, limit: configuration.withLock { $0.maxInFlight }), joined.isLeader else { return }
        let flight = joined.flight
        observer.prefetchStarted()
        startFetch(key, question: query.question, flight: flight)
    }

    /// Runs one upstream fetch for a flight; its outcome is absorbed (cache, failure cache,
    /// collapse guard) and delivered on the thread that finished it. `drain(timeout:)` waits
    /// for these at shutdown.
    func startFetch(_ key: CacheKey, question: DNSQuestion, flight: Flight) {
        upstream.start(question, dnssecOK: key.dnssecOK, onAllDown: { flight.signalAllDown() }) { [self] result in
            absorb(result, key: key, question: question) { [self] outcome in
                flights.complete(key, flight: flight, outcome: outcome)
            }
        }
    }

    /// Waits (bounded) for upstream fetches in progress, for graceful shutdown: returns when the
    /// last one completes (every waiting client then has its answer) or after `timeout`.
    public func drain(timeout: Duration) async {
        guard flights.count > 0 else { return }
        let flights = self.flights
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await flights.waitUntilEmpty() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                flights.releaseIdleWaiters()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
