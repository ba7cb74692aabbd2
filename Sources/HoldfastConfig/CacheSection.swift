// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// `[cache.stale]`: serve-stale (RFC 8767).
public struct StaleSection: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool
    /// `answer_ttl_s`: TTL given on stale answers.
    public var answerTTLSeconds: Int
    /// `max_age_s`: how long past expiry data may still be served.
    public var maxAgeSeconds: Int
    /// `client_timeout_ms`: upstream still silent by then, answer stale and keep refreshing.
    public var clientTimeoutMs: Int

    public init(
        enabled: Bool = true, answerTTLSeconds: Int = 30, maxAgeSeconds: Int = 86_400,
        clientTimeoutMs: Int = 1_800
    ) {
        self.enabled = enabled
        self.answerTTLSeconds = answerTTLSeconds
        self.maxAgeSeconds = maxAgeSeconds
        self.clientTimeoutMs = clientTimeoutMs
    }
}

/// `[cache]`: size, TTL clamps, prefetch, persistence and serve-stale.
public struct CacheSection: Sendable, Equatable {
    /// `max_entries`: one key (name, type, class, DO) is one entry.
    public var maxEntries: Int
    /// `min_ttl_s`: positive answers' TTLs are raised to at least this.
    public var minTTLSeconds: Int
    /// `max_ttl_s`: positive answers' TTLs are lowered to at most this.
    public var maxTTLSeconds: Int
    /// `negative_max_ttl_s`: negative answers' TTLs are lowered to at most this.
    public var negativeMaxTTLSeconds: Int
    /// `prefetch`: refresh popular entries near the end of their TTL.
    public var prefetch: Bool
    /// `persist_path`: cache snapshot file; "" turns persistence off.
    public var persistPath: String
    /// `persist_interval_s`: how often the snapshot is written.
    public var persistIntervalSeconds: Int
    /// `failure_ttl_s`: a question every attempt failed for is not sent upstream again for
    /// this long (RFC 9520), doubling on each further failure; 0 turns it off.
    public var failureTTLSeconds: Int
    /// `failure_max_ttl_s`: the doubling stops here.
    public var failureMaxTTLSeconds: Int
    /// `[cache.stale]`.
    public var stale: StaleSection

    public init(
        maxEntries: Int = 200_000,
        minTTLSeconds: Int = 0,
        maxTTLSeconds: Int = 86_400,
        negativeMaxTTLSeconds: Int = 3_600,
        prefetch: Bool = true,
        persistPath: String = "/var/lib/holdfast/cache.bin",
        persistIntervalSeconds: Int = 300,
        failureTTLSeconds: Int = 5,
        failureMaxTTLSeconds: Int = 60,
        stale: StaleSection = StaleSection()
    ) {
        self.maxEntries = maxEntries
        self.minTTLSeconds = minTTLSeconds
        self.maxTTLSeconds = maxTTLSeconds
        self.negativeMaxTTLSeconds = negativeMaxTTLSeconds
        self.prefetch = prefetch
        self.persistPath = persistPath
        self.persistIntervalSeconds = persistIntervalSeconds
        self.failureTTLSeconds = failureTTLSeconds
        self.failureMaxTTLSeconds = failureMaxTTLSeconds
        self.stale = stale
    }

    /// Whether the cache is persisted (`persist_path` is not "").
    public var persistenceEnabled: Bool { !persistPath.isEmpty }
}
