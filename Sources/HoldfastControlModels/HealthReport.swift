// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The answer of `GET /health`: the daemon's overall state and why.
///
/// `ok`: every provider has a server up and no stale answers were served in the last minute.
/// `degraded`: some provider is down, or stale answers were served in the last minute.
/// `failing`: no provider has a server up. The endpoint answers 200 for ok and degraded, 503 for failing.
public struct HealthReport: Codable, Sendable, Equatable {
    /// The three health states, in order of severity.
    public enum Status: String, Codable, Sendable, CaseIterable, Comparable {
        case ok, degraded, failing

        private var rank: Int {
            switch self {
            case .ok: 0
            case .degraded: 1
            case .failing: 2
            }
        }

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }
    }

    /// The overall state.
    public var status: Status
    /// Human-readable reasons for a state other than ok (e.g. "provider quad9 down"); empty when ok.
    public var reasons: [String]
    /// Seconds since the daemon started.
    public var uptimeSeconds: Double
    /// Providers with at least one server up.
    public var providersUp: Int
    /// Configured providers.
    public var providersTotal: Int
    /// Stale answers served in the last 60 seconds.
    public var staleAnswersLastMinute: UInt64

    public init(
        status: Status, reasons: [String], uptimeSeconds: Double,
        providersUp: Int, providersTotal: Int, staleAnswersLastMinute: UInt64
    ) {
        self.status = status
        self.reasons = reasons
        self.uptimeSeconds = uptimeSeconds
        self.providersUp = providersUp
        self.providersTotal = providersTotal
        self.staleAnswersLastMinute = staleAnswersLastMinute
    }

    enum CodingKeys: String, CodingKey {
        case status, reasons
        case uptimeSeconds = "uptime_s"
        case providersUp = "providers_up"
        case providersTotal = "providers_total"
        case staleAnswersLastMinute = "stale_answers_last_minute"
    }
}
