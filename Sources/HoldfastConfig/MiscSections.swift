// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import NetAddress

/// `[resilience]`: names that keep their last positive answer when upstreams turn it away.
public struct ResilienceSection: Sendable, Equatable {
    /// One `last_known_good` entry: `name` matches itself; `*.suffix` (`coversSubdomains`)
    /// matches the names below suffix.
    public struct Pattern: Sendable, Hashable, CustomStringConvertible {
        /// The name or suffix (lowercase).
        public var name: DNSName
        /// Written as `*.suffix`.
        public var coversSubdomains: Bool

        public init(_ name: DNSName, coversSubdomains: Bool = false) {
            self.name = name
            self.coversSubdomains = coversSubdomains
        }

        /// As written in the config, normalised: `api.example.com`, `*.internal.example.com`.
        public var description: String {
            (coversSubdomains ? "*." : "") + DomainNames.text(name)
        }
    }

    /// `last_known_good`, without repeats, in the order written.
    public var lastKnownGood: [Pattern]
    /// `collapse_hold_s`: how long any other name whose answer collapses to NXDOMAIN or empty
    /// keeps its last positive answer; 0 turns the guard off for unlisted names.
    public var collapseHoldSeconds: Int

    public init(lastKnownGood: [Pattern] = [], collapseHoldSeconds: Int = 900) {
        self.lastKnownGood = lastKnownGood
        self.collapseHoldSeconds = collapseHoldSeconds
    }
}

/// `[[local]]`: records answered locally and never forwarded. The section decodes to
/// `DNSRecord`s (`HoldfastConfiguration.local`); this names what it accepts.
public enum LocalRecords {
    /// The record types `[[local]]` accepts.
    public static let supportedTypes: [DNSType] = [.a, .aaaa, .cname, .txt, .ptr, .mx]

    /// TXT data longer than this is rejected.
    public static let maxTXTBytes = 8_192
}

/// `[control]`: the control socket and the optional TCP metrics listener.
public struct ControlSection: Sendable, Equatable {
    /// `socket`: path of the HTTP/1.1 Unix control socket.
    public var socket: String
    /// `metrics_listen`: also serve GET /metrics and /health over TCP here; nil (`""`) = off.
    public var metricsListen: HostPort?

    public init(socket: String = "/run/holdfast/control.sock", metricsListen: HostPort? = nil) {
        self.socket = socket
        self.metricsListen = metricsListen
    }
}

/// `[log]`: logging switches (the level comes from `holdfastd --log-level`).
public struct LogSection: Sendable, Equatable {
    /// `queries`: log one line per query.
    public var queries: Bool

    public init(queries: Bool = false) {
        self.queries = queries
    }
}
