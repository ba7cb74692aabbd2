// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation

/// A `holdfast.toml` for tests, rendered with only the keys SPEC.md fixes. The listen port(s),
/// control socket and persist path are filled in by `DaemonProcess` (loopback and temp dir).
/// Unset optional values are left out so the daemon's defaults apply.
public struct DaemonConfig: Sendable {
    /// One `[[upstream.provider]]`.
    public struct Provider: Sendable {
        public var name: String
        public var servers: [LoopbackAddress]
        /// More `key = value` lines for the provider (`transport = "tls"`, `tls_name = ...`).
        public var settings: [String]
        public init(_ name: String, _ servers: [LoopbackAddress], settings: [String] = []) {
            self.name = name
            self.servers = servers
            self.settings = settings
        }

        /// A DNS-over-TLS provider authenticated with `name` against `caFile`, plus `more` lines.
        public static func tls(_ name: String, _ servers: [LoopbackAddress], tlsName: String, caFile: String,
                               more: [String] = []) -> Provider {
            Provider(name, servers, settings: [
                "transport = \"tls\"", "tls_name = \"\(tlsName)\"", "tls_ca_file = \"\(caFile)\"",
            ] + more)
        }

        /// A plain DNS-over-TCP provider (`transport = "tcp"`).
        public static func tcp(_ name: String, _ servers: [LoopbackAddress]) -> Provider {
            Provider(name, servers, settings: ["transport = \"tcp\""])
        }
    }

    /// One `[[local]]` record.
    public struct LocalRecord: Sendable {
        public var name: String
        public var type: String
        public var data: String
        public var ttl: Int
        public init(_ name: String, _ type: String, _ data: String, ttl: Int = 300) {
            self.name = name
            self.type = type
            self.data = data
            self.ttl = ttl
        }
    }

    /// One `[[route]]`.
    public struct Route: Sendable {
        public var domains: [String]
        public var providers: [String]
        public init(domains: [String], providers: [String]) {
            self.domains = domains
            self.providers = providers
        }
    }

    public var providers: [Provider]
    public var routes: [Route] = []
    public var localRecords: [LocalRecord] = []
    /// Listen on [::1] as well as 127.0.0.1 (same port).
    public var listenIPv6 = false
    /// More `server.listen` addresses, as written (only inside a private network namespace may
    /// they be other than loopback, e.g. a node-local 169.254.20.10:53).
    public var extraListen: [String] = []
    public var allow: [String] = ["127.0.0.0/8", "::1/128"]
    public var threads = 1
    /// `[server] user`: the account to switch to when the daemon starts as root; nil = not set.
    public var user: String?
    /// `[server] rate_limit_qps` / `rate_limit_burst`; nil = not set (no limit).
    public var rateLimitQPS: Int?
    public var rateLimitBurst: Int?
    public var policy = "failover"
    public var timeoutMs = 500
    public var hedgeAfterMs = 0
    public var failureThreshold: Int?
    public var probeIntervalS: Int?
    /// `[upstream] tls_idle_timeout_ms`; nil = not set.
    public var tlsIdleTimeoutMs: Int?
    /// `upstream.max_in_flight`.
    public var maxInFlight: Int?
    public var maxEntries: Int?
    public var minTTLs: Int?
    public var maxTTLs: Int?
    public var negativeMaxTTLs: Int?
    public var prefetch: Bool?
    /// Persist the cache to `cache.bin` in the daemon's temp dir; off by default.
    public var persist = false
    public var persistIntervalS: Int?
    public var staleEnabled: Bool?
    public var staleAnswerTTLs: Int?
    public var staleMaxAgeS: Int?
    public var staleClientTimeoutMs: Int?
    public var lastKnownGood: [String] = []
    /// `resilience.collapse_hold_s`; nil: the daemon's default (900).
    public var collapseHoldS: Int?
    /// e.g. "127.0.0.1:0" to also serve /metrics over TCP (`DaemonProcess.metricsPort` says
    /// where); "" = off.
    public var metricsListen = ""
    /// Raw TOML appended at the end (new tables only).
    public var extra = ""

    public init(providers: [Provider]) { self.providers = providers }

    /// One provider per upstream, named "p1", "p2", ... in order.
    public init(upstreams: [LoopbackAddress]) {
        providers = upstreams.enumerated().map { Provider("p\($0.offset + 1)", [$0.element]) }
    }

    /// The TOML text, given the port to listen on (0: any; `v6Port` for [::1], default the
    /// same) and the daemon's temp directory.
    public func render(port: UInt16, v6Port: UInt16? = nil, directory: String) -> String {
        var listen = ["\"127.0.0.1:\(port)\""]
        if listenIPv6 { listen.append("\"[::1]:\(v6Port ?? port)\"") }
        listen += extraListen.map { "\"\($0)\"" }
        var lines: [String] = ["[server]"]
        lines.append("listen = [\(listen.joined(separator: ", "))]")
        lines.append("allow = \(Self.array(allow))")
        lines.append("threads = \(threads)")
        if let user { lines.append("user = \(Self.quoted(user))") }
        Self.optional(&lines, "rate_limit_qps", rateLimitQPS)
        Self.optional(&lines, "rate_limit_burst", rateLimitBurst)
        lines.append("")
        lines.append("[upstream]")
        lines.append("policy = \"\(policy)\"")
        lines.append("timeout_ms = \(timeoutMs)")
        lines.append("hedge_after_ms = \(hedgeAfterMs)")
        Self.optional(&lines, "failure_threshold", failureThreshold)
        Self.optional(&lines, "probe_interval_s", probeIntervalS)
        Self.optional(&lines, "tls_idle_timeout_ms", tlsIdleTimeoutMs)
        Self.optional(&lines, "max_in_flight", maxInFlight)
        for provider in providers {
            lines.append("")
            lines.append("[[upstream.provider]]")
            lines.append("name = \"\(provider.name)\"")
            lines.append("servers = \(Self.array(provider.servers.map(\.description)))")
            lines += provider.settings
        }
        for route in routes {
            lines.append("")
            lines.append("[[route]]")
            lines.append("domains = \(Self.array(route.domains))")
            lines.append("providers = \(Self.array(route.providers))")
        }
        lines.append("")
        lines.append("[cache]")
        Self.optional(&lines, "max_entries", maxEntries)
        Self.optional(&lines, "min_ttl_s", minTTLs)
        Self.optional(&lines, "max_ttl_s", maxTTLs)
        Self.optional(&lines, "negative_max_ttl_s", negativeMaxTTLs)
        if let prefetch { lines.append("prefetch = \(prefetch)") }
        lines.append("persist_path = \"\(persist ? directory + "/cache.bin" : "")\"")
        Self.optional(&lines, "persist_interval_s", persistIntervalS)
        if staleEnabled != nil || staleAnswerTTLs != nil || staleMaxAgeS != nil || staleClientTimeoutMs != nil {
            lines.append("")
            lines.append("[cache.stale]")
            if let staleEnabled { lines.append("enabled = \(staleEnabled)") }
            Self.optional(&lines, "answer_ttl_s", staleAnswerTTLs)
            Self.optional(&lines, "max_age_s", staleMaxAgeS)
            Self.optional(&lines, "client_timeout_ms", staleClientTimeoutMs)
        }
        if !lastKnownGood.isEmpty || collapseHoldS != nil {
            lines.append("")
            lines.append("[resilience]")
            if !lastKnownGood.isEmpty { lines.append("last_known_good = \(Self.array(lastKnownGood))") }
            Self.optional(&lines, "collapse_hold_s", collapseHoldS)
        }
        for record in localRecords {
            lines.append("")
            lines.append("[[local]]")
            lines.append("name = \"\(record.name)\"")
            lines.append("type = \"\(record.type)\"")
            lines.append("data = \(Self.quoted(record.data))")
            lines.append("ttl_s = \(record.ttl)")
        }
        lines.append("")
        lines.append("[control]")
        lines.append("socket = \"\(directory)/control.sock\"")
        lines.append("metrics_listen = \"\(metricsListen)\"")
        if !extra.isEmpty {
            lines.append("")
            lines.append(extra)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func optional(_ lines: inout [String], _ key: String, _ value: Int?) {
        if let value { lines.append("\(key) = \(value)") }
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func array(_ items: [String]) -> String {
        "[" + items.map(quoted).joined(separator: ", ") + "]"
    }
}
