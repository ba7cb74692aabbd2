// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The answer of `GET /cache?name=N&type=T`: one cache entry, or `found: false` (with status 404).
public struct CacheEntryReport: Codable, Sendable, Equatable {
    /// The name asked for, in presentation form with the trailing dot.
    public var name: String
    /// The record type asked for (`A`, `AAAA`, `TYPE65`, ...).
    public var type: String
    /// Whether the cache holds an entry for name and type.
    public var found: Bool
    /// Seconds until the entry expires; 0 once it is stale (and when not found).
    public var ttlRemainingSeconds: Int
    /// True when the entry expired and is only kept for serve-stale.
    public var stale: Bool
    /// The cached rcode (`NOERROR`, `NXDOMAIN`, ...); nil when not found.
    public var rcode: String?
    /// The cached records in zone-file presentation form, TTLs as they would be served now.
    public var records: [String]
    /// The failure cache's entry for this question (RFC 9520): while it lasts the question is
    /// not sent upstream; nil when the question has not failed recently.
    public var failure: FailureEntry?

    /// A question remembered as failed.
    public struct FailureEntry: Codable, Sendable, Equatable {
        /// Seconds until the question is sent upstream again.
        public var ttlRemainingSeconds: Int
        /// Failures in a row (each doubles how long the failure is remembered).
        public var failures: Int

        public init(ttlRemainingSeconds: Int, failures: Int) {
            self.ttlRemainingSeconds = ttlRemainingSeconds
            self.failures = failures
        }

        enum CodingKeys: String, CodingKey {
            case failures
            case ttlRemainingSeconds = "ttl_remaining_s"
        }
    }

    public init(
        name: String, type: String, found: Bool, ttlRemainingSeconds: Int = 0, stale: Bool = false,
        rcode: String? = nil, records: [String] = [], failure: FailureEntry? = nil
    ) {
        self.name = name
        self.type = type
        self.found = found
        self.ttlRemainingSeconds = ttlRemainingSeconds
        self.stale = stale
        self.rcode = rcode
        self.records = records
        self.failure = failure
    }

    /// The report for an entry the cache does not hold.
    public static func notFound(name: String, type: String, failure: FailureEntry? = nil) -> CacheEntryReport {
        CacheEntryReport(name: name, type: type, found: false, failure: failure)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, type, found, stale, rcode, records, failure
        case ttlRemainingSeconds = "ttl_remaining_s"
    }

    /// Every key, `null` for a value not known (the synthesized encoder would omit it).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encode(found, forKey: .found)
        try container.encode(ttlRemainingSeconds, forKey: .ttlRemainingSeconds)
        try container.encode(stale, forKey: .stale)
        try container.encode(rcode, forKey: .rcode)
        try container.encode(records, forKey: .records)
        try container.encode(failure, forKey: .failure)
    }
}

/// The answer of `POST /cache/flush[?name=N]`: how many entries were removed.
public struct FlushReport: Codable, Sendable, Equatable {
    /// Entries removed.
    public var flushed: Int

    public init(flushed: Int) {
        self.flushed = flushed
    }
}

/// The answer of `POST /reload`: 200 with `ok: true` and `error: null`, or 400 with `ok: false`
/// and the error.
public struct ReloadReport: Codable, Sendable, Equatable {
    /// Whether the new config was applied.
    public var ok: Bool
    /// Why the new config was rejected (the old one keeps running); nil on success.
    public var error: String?

    public init(ok: Bool, error: String? = nil) {
        self.ok = ok
        self.error = error
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ok, error
    }

    /// Both keys, `error: null` on success (the synthesized encoder would omit it).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(error, forKey: .error)
    }

    /// A successful reload.
    public static let success = ReloadReport(ok: true)

    /// A rejected reload with its reason.
    public static func failure(_ error: String) -> ReloadReport {
        ReloadReport(ok: false, error: error)
    }
}

/// The body of every 4xx/5xx answer that has no more specific report.
public struct ErrorReport: Codable, Sendable, Equatable {
    /// What went wrong, one line.
    public var error: String

    public init(error: String) {
        self.error = error
    }
}
