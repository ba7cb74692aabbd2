// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The answer of `GET /query?name=N&type=T`: what a client asking now gets, and how it was found.
public struct QueryReport: Codable, Sendable, Equatable {
    /// The name asked, in presentation form with the trailing dot.
    public var name: String
    public var type: String
    /// The answer's rcode (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, ...).
    public var rcode: String
    /// Where the answer came from: `local`, `cache`, `stale`, `held`, `upstream`, `failure-cache`.
    public var source: String
    /// The provider and server that answered this query; null when nothing upstream answered it.
    public var provider: String?
    public var server: String?
    /// Upstream attempts this query made (a collapse's confirming question included); 0 when
    /// answered without asking upstream; null when not known (every attempt failed).
    public var attempts: Int?
    /// Extended DNS Error codes on the answer (3: stale or held, 22: no reachable authority).
    public var ede: [Int]
    /// Answer and authority records in zone-file form, TTLs as served.
    public var answers: [String]
    public var authorities: [String]
    /// The smallest TTL in the answer section; null when it is empty.
    public var ttl: Int?
    /// How long resolving took, in milliseconds.
    public var milliseconds: Double

    public init(name: String, type: String, rcode: String, source: String, provider: String?, server: String?, attempts: Int?,
                ede: [Int], answers: [String], authorities: [String], ttl: Int?, milliseconds: Double) {
        self.name = name
        self.type = type
        self.rcode = rcode
        self.source = source
        self.provider = provider
        self.server = server
        self.attempts = attempts
        self.ede = ede
        self.answers = answers
        self.authorities = authorities
        self.ttl = ttl
        self.milliseconds = milliseconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, type, rcode, source, provider, server, attempts, ede, answers, authorities
        case ttl = "ttl_s"
        case milliseconds = "ms"
    }

    /// Every key, `null` for a value not known.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encode(rcode, forKey: .rcode)
        try container.encode(source, forKey: .source)
        try container.encode(provider, forKey: .provider)
        try container.encode(server, forKey: .server)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(ede, forKey: .ede)
        try container.encode(answers, forKey: .answers)
        try container.encode(authorities, forKey: .authorities)
        try container.encode(ttl, forKey: .ttl)
        try container.encode(milliseconds, forKey: .milliseconds)
    }
}

/// The answer of `GET /held` and `POST /held`: names held (listed, or just made).
public struct HeldReport: Codable, Sendable, Equatable {
    /// One held question.
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var type: String
        /// Queries with the DO bit are cached, and held, apart from those without.
        public var dnssecOK: Bool
        /// `collapse`, `last_known_good` or `operator`.
        public var reason: String
        /// When the hold began and when it ends (RFC 3339, UTC).
        public var since: String
        public var until: String
        /// Seconds until it ends.
        public var remainingSeconds: Int
        /// The held records of the asked type (`name TYPE data`).
        public var records: [String]
        /// What upstream says now (`NXDOMAIN`, `NOERROR, no data`); null when not asked since.
        public var upstreamNow: String?
        /// Answers served from the hold.
        public var answersServed: UInt64

        public init(name: String, type: String, dnssecOK: Bool, reason: String, since: String, until: String, remainingSeconds: Int,
                    records: [String], upstreamNow: String?, answersServed: UInt64) {
            self.name = name
            self.type = type
            self.dnssecOK = dnssecOK
            self.reason = reason
            self.since = since
            self.until = until
            self.remainingSeconds = remainingSeconds
            self.records = records
            self.upstreamNow = upstreamNow
            self.answersServed = answersServed
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, type, reason, since, until, records
            case dnssecOK = "dnssec_ok"
            case remainingSeconds = "remaining_s"
            case upstreamNow = "upstream_now"
            case answersServed = "answers_served"
        }

        /// Every key, `upstream_now: null` when not known.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(type, forKey: .type)
            try container.encode(dnssecOK, forKey: .dnssecOK)
            try container.encode(reason, forKey: .reason)
            try container.encode(since, forKey: .since)
            try container.encode(until, forKey: .until)
            try container.encode(remainingSeconds, forKey: .remainingSeconds)
            try container.encode(records, forKey: .records)
            try container.encode(upstreamNow, forKey: .upstreamNow)
            try container.encode(answersServed, forKey: .answersServed)
        }
    }

    public var held: [Entry]
    /// `held.count`.
    public var count: Int

    public init(held: [Entry]) {
        self.held = held
        self.count = held.count
    }
}

/// The answer of `DELETE /held?name=N&type=T`: how many holds ended.
public struct ReleaseReport: Codable, Sendable, Equatable {
    public var released: Int

    public init(released: Int) {
        self.released = released
    }
}
