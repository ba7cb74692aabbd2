// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// The resolver's own settings: serve-stale answers, last-known-good, local records, the
/// failure cache. (Whether stale data exists, and for how long, is the cache's setting; the
/// query log is the daemon's.)
public struct ResolverConfiguration: Sendable {
    /// TTL given to stale answers.
    public var staleAnswerTTLSeconds: UInt32
    /// Upstream still silent after this long: answer stale and keep refreshing.
    public var clientTimeoutMs: Int
    /// Background refresh of popular entries near the end of their TTL.
    public var prefetch: Bool
    /// Names that keep their last positive answer when upstreams turn negative.
    public var lastKnownGood: LastKnownGoodPatterns
    /// Operator records answered locally.
    public var localZone: LocalZone
    /// Failure cache (RFC 9520): how long a question whose every attempt failed is not sent
    /// upstream again; 0 turns it off. Doubles per further failure up to `failureMaxTTLSeconds`.
    public var failureTTLSeconds: Int
    public var failureMaxTTLSeconds: Int
    /// The collapse guard (`resilience.collapse_hold_s`): how long a name whose positive answer
    /// collapsed to NXDOMAIN or empty is held; 0 turns it off for names not listed in
    /// `lastKnownGood`.
    public var collapseHoldSeconds: Int
    /// While a name is held, upstream is asked again at most this often (while clients ask).
    public var holdRecheckMillis: UInt64
    /// `upstream.max_in_flight`: questions waiting on upstreams at once (coalesced clients
    /// count once, prefetches too). Beyond it a new miss is answered at once, stale or
    /// SERVFAIL, and nothing is sent; so a flood of unique names cannot grow memory without end.
    public var maxInFlight: Int

    public init(
        staleAnswerTTLSeconds: UInt32 = 30,
        clientTimeoutMs: Int = 1800, prefetch: Bool = true, lastKnownGood: LastKnownGoodPatterns = LastKnownGoodPatterns([]),
        localZone: LocalZone = LocalZone(records: []),
        failureTTLSeconds: Int = 5, failureMaxTTLSeconds: Int = 60,
        collapseHoldSeconds: Int = 900, holdRecheckMillis: UInt64 = 30_000, maxInFlight: Int = 10_000
    ) {
        self.collapseHoldSeconds = collapseHoldSeconds
        self.holdRecheckMillis = holdRecheckMillis
        self.staleAnswerTTLSeconds = staleAnswerTTLSeconds
        self.clientTimeoutMs = clientTimeoutMs
        self.prefetch = prefetch
        self.lastKnownGood = lastKnownGood
        self.localZone = localZone
        self.failureTTLSeconds = failureTTLSeconds
        self.failureMaxTTLSeconds = failureMaxTTLSeconds
        self.maxInFlight = maxInFlight
    }
}

/// `resilience.last_known_good`: "name" matches itself, "*.suffix" every name below suffix.
public struct LastKnownGoodPatterns: Sendable {
    private var exact: Set<DNSName> = []
    private var below: [DNSName] = []

    /// Patterns as written in the config; invalid names are skipped (the config layer rejects them).
    public init(_ patterns: [String]) {
        for pattern in patterns {
            if pattern.hasPrefix("*.") {
                if let name = try? DNSName(String(pattern.dropFirst(2))) { below.append(name) }
            } else if let name = try? DNSName(pattern) {
                exact.insert(name)
            }
        }
    }

    /// Typed patterns: `exact` names match themselves, `below` suffixes every name under them.
    public init(exact: [DNSName], below: [DNSName]) {
        self.exact = Set(exact)
        self.below = below
    }

    public var isEmpty: Bool { exact.isEmpty && below.isEmpty }

    public func matches(_ name: DNSName) -> Bool {
        if exact.contains(name) { return true }
        return below.contains { name != $0 && name.isSubdomain(of: $0) }
    }
}
