// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The answer of `GET /stats`: every counter since the daemon started, plus two recent rates.
///
/// Counters only grow (except `cache.entries`, a gauge); a client computes rates from two samples.
public struct StatsReport: Codable, Sendable, Equatable {
    /// Cache counters.
    public struct Cache: Codable, Sendable, Equatable {
        /// Fresh answers served from the cache.
        public var hits: UInt64
        /// Queries the cache could not answer fresh (forwarded upstream).
        public var misses: UInt64
        /// Stale answers served (RFC 8767).
        public var stale: UInt64
        /// Entries evicted to make room.
        public var evictions: UInt64
        /// Entries held now.
        public var entries: UInt64

        public init(hits: UInt64, misses: UInt64, stale: UInt64, evictions: UInt64, entries: UInt64) {
            self.hits = hits
            self.misses = misses
            self.stale = stale
            self.evictions = evictions
            self.entries = entries
        }
    }

    /// Upstream counters, summed over every provider and server.
    public struct Upstream: Codable, Sendable, Equatable {
        /// Attempts sent to upstream servers.
        public var requests: UInt64
        /// Attempts that failed (timeout, refused, SERVFAIL, network error).
        public var failures: UInt64

        public init(requests: UInt64, failures: UInt64) {
            self.requests = requests
            self.failures = failures
        }
    }

    /// Seconds since the daemon started.
    public var uptimeSeconds: Double
    /// Answers sent, by protocol (`udp`, `tcp`) then by rcode name (`NOERROR`, `NXDOMAIN`, ...).
    public var queries: [String: [String: UInt64]]
    /// Every answer sent: the sum of `queries`.
    public var totalQueries: UInt64
    /// Cache counters.
    public var cache: Cache
    /// Queries that joined an identical query already in flight upstream.
    public var coalesced: UInt64
    /// Refreshes started before an entry expired.
    public var prefetches: UInt64
    /// Answers served from the last-known-good slot after the stale window ran out.
    public var lastKnownGood: UInt64
    /// Queries answered from the failure cache (RFC 9520: stale data or SERVFAIL at once,
    /// nothing sent upstream).
    public var failureCacheHits: UInt64
    /// Extra upstream attempts (hedges, retries, resends) the retry budget refused.
    public var retryBudgetExhausted: UInt64
    /// Misses answered at once (stale or SERVFAIL) because `upstream.max_in_flight` questions
    /// were already waiting on upstreams.
    public var inFlightLimited: UInt64
    /// Upstream counters.
    public var upstream: Upstream
    /// Queries per second over the recent past (the daemon chooses the window, about 10 s).
    public var queriesPerSecond: Double
    /// hits / (hits + misses + stale) since start, 0 when nothing was asked.
    public var cacheHitRatio: Double

    public init(
        uptimeSeconds: Double, queries: [String: [String: UInt64]], totalQueries: UInt64, cache: Cache,
        coalesced: UInt64, prefetches: UInt64, lastKnownGood: UInt64, failureCacheHits: UInt64 = 0, retryBudgetExhausted: UInt64 = 0, inFlightLimited: UInt64 = 0, upstream: Upstream,
        queriesPerSecond: Double, cacheHitRatio: Double
    ) {
        self.uptimeSeconds = uptimeSeconds
        self.queries = queries
        self.totalQueries = totalQueries
        self.cache = cache
        self.coalesced = coalesced
        self.prefetches = prefetches
        self.lastKnownGood = lastKnownGood
        self.failureCacheHits = failureCacheHits
        self.retryBudgetExhausted = retryBudgetExhausted
        self.inFlightLimited = inFlightLimited
        self.upstream = upstream
        self.queriesPerSecond = queriesPerSecond
        self.cacheHitRatio = cacheHitRatio
    }

    enum CodingKeys: String, CodingKey {
        case queries, cache, coalesced, prefetches, upstream
        case uptimeSeconds = "uptime_s"
        case totalQueries = "total_queries"
        case lastKnownGood = "last_known_good"
        case failureCacheHits = "failure_cache_hits"
        case retryBudgetExhausted = "retry_budget_exhausted"
        case inFlightLimited = "in_flight_limited"
        case queriesPerSecond = "queries_per_second"
        case cacheHitRatio = "cache_hit_ratio"
    }
}
