// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The answer of `GET /livez` and `GET /readyz` (200 when `ok`, else 503), what container
/// probes (`holdfastctl probe live|ready`) check.
///
/// - live: the serving path works — the systemd watchdog's check (event loops, UDP readers, the
///   resolver answering a local question). Upstream health never makes it fail.
/// - ready: listeners bound and the cache loaded, and not draining (from SIGTERM on it is not).
public struct ProbeReport: Codable, Sendable, Equatable {
    /// True when the probe passes.
    public var ok: Bool
    /// Why it fails, in a few words; nil when it passes.
    public var reason: String?

    public init(ok: Bool, reason: String? = nil) {
        self.ok = ok
        self.reason = ok ? nil : reason
    }

    public static let passing = ProbeReport(ok: true)

    enum CodingKeys: String, CodingKey {
        case ok, reason
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ok = try container.decode(Bool.self, forKey: .ok)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(reason, forKey: .reason)
    }
}
