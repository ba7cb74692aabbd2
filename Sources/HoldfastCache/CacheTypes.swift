// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// Monotonic time in milliseconds, injected by the caller (tests use a manual clock).
public typealias CacheMillis = UInt64

/// What identifies one cache entry: name (case-insensitive), type, class and the DO bit.
/// One key is one entry for `max_entries`.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var type: DNSType
    public var qclass: DNSClass
    public var dnssecOK: Bool

    public init(name: DNSName, type: DNSType, qclass: DNSClass = .in, dnssecOK: Bool = false) {
        self.name = name
        self.type = type
        self.qclass = qclass
        self.dnssecOK = dnssecOK
    }

    public var description: String { "\(name) \(qclass) \(type)\(dnssecOK ? " +DO" : "")" }
}

/// The cache's limits and policy switches (the `[cache]` config section, in seconds).
public struct CacheConfiguration: Sendable, Equatable {
    public var maxEntries: Int
    public var minTTLSeconds: UInt32
    public var maxTTLSeconds: UInt32
    /// Cap for negative answers (NXDOMAIN / NODATA), whose TTL comes from the SOA (RFC 2308).
    public var negativeMaxTTLSeconds: UInt32
    public var prefetch: Bool
    public var staleEnabled: Bool
    /// How long past expiry an entry may still be served stale; after that it is gone.
    public var staleMaxAgeSeconds: UInt32
    /// RFC 8767 failure recheck timer: after a failed refresh the entry is answered stale at once.
    public var failureRecheckSeconds: UInt32
    /// Most independently locked shards; a small cache uses fewer (one below
    /// `2 × DNSCache.minimumEntriesPerShard` entries) so that its LRU order is exact. Fixed for
    /// the cache's life.
    public var shardCount: Int

    public init(
        maxEntries: Int = 200_000, minTTLSeconds: UInt32 = 0, maxTTLSeconds: UInt32 = 86_400,
        negativeMaxTTLSeconds: UInt32 = 3_600, prefetch: Bool = true, staleEnabled: Bool = true,
        staleMaxAgeSeconds: UInt32 = 86_400, failureRecheckSeconds: UInt32 = 30, shardCount: Int = 16
    ) {
        self.maxEntries = maxEntries
        self.minTTLSeconds = minTTLSeconds
        self.maxTTLSeconds = maxTTLSeconds
        self.negativeMaxTTLSeconds = negativeMaxTTLSeconds
        self.prefetch = prefetch
        self.staleEnabled = staleEnabled
        self.staleMaxAgeSeconds = staleMaxAgeSeconds
        self.failureRecheckSeconds = failureRecheckSeconds
        self.shardCount = shardCount
    }
}

/// A cached answer as found: the stored wire answer and how old it is.
public struct CacheHit: Sendable {
    /// The stored answer; render it with `.countDown(elapsedSeconds:)` while fresh.
    public let answer: StoredAnswer
    /// Whole seconds since the answer was stored.
    public let elapsedSeconds: UInt32
    /// Whole seconds of lifetime left (0 once expired).
    public let remainingSeconds: UInt32
    /// True for NXDOMAIN and NODATA entries.
    public let isNegative: Bool

    public init(answer: StoredAnswer, elapsedSeconds: UInt32, remainingSeconds: UInt32, isNegative: Bool) {
        self.answer = answer
        self.elapsedSeconds = elapsedSeconds
        self.remainingSeconds = remainingSeconds
        self.isNegative = isNegative
    }
}

/// The result of a cache lookup.
public enum CacheLookup: Sendable {
    /// Within its TTL. `prefetch` is true at most once per stored answer: the caller must refresh it now.
    case fresh(CacheHit, prefetch: Bool)
    /// Expired less than `staleMaxAgeSeconds` ago. `refreshBlocked`: a refresh failed less than
    /// `failureRecheckSeconds` ago, so answer stale at once without asking upstream.
    case stale(CacheHit, expiredSeconds: UInt32, refreshBlocked: Bool)
    case miss

    /// The hit, fresh or stale; nil on a miss.
    public var hit: CacheHit? {
        switch self {
        case .fresh(let hit, _): return hit
        case .stale(let hit, _, _): return hit
        case .miss: return nil
        }
    }
}

/// Counters since start (summed over the shards when read).
public struct CacheStatistics: Sendable, Equatable {
    /// Fresh hits.
    public var hits: UInt64 = 0
    public var misses: UInt64 = 0
    /// Lookups answered with an expired entry inside the stale window.
    public var staleHits: UInt64 = 0
    /// Entries pushed out by the `max_entries` bound (least recently used first).
    public var evictions: UInt64 = 0
    /// Answers stored (new or replacing).
    public var inserts: UInt64 = 0
    /// Entries dropped because they were past the stale window.
    public var expired: UInt64 = 0
    /// Prefetches handed out (`.fresh(_, prefetch: true)`).
    public var prefetches: UInt64 = 0

    public init() {}

    static func + (lhs: CacheStatistics, rhs: CacheStatistics) -> CacheStatistics {
        var sum = CacheStatistics()
        sum.hits = lhs.hits &+ rhs.hits
        sum.misses = lhs.misses &+ rhs.misses
        sum.staleHits = lhs.staleHits &+ rhs.staleHits
        sum.evictions = lhs.evictions &+ rhs.evictions
        sum.inserts = lhs.inserts &+ rhs.inserts
        sum.expired = lhs.expired &+ rhs.expired
        sum.prefetches = lhs.prefetches &+ rhs.prefetches
        return sum
    }
}
