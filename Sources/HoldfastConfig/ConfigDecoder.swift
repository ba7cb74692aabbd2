// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import NetAddress

/// Walks the parsed TOML table by hand (rejecting unknown keys) and builds a
/// validated `HoldfastConfiguration`, naming the key path of every problem.
struct ConfigDecoder {
    let context: ConfigContext

    static let rootKeys = ["server", "upstream", "route", "cache", "resilience", "local", "control", "log"]
    static let maxTTL = 2_147_483_647  // RFC 2181 section 8

    func decode(_ root: TableReader) throws(ConfigError) -> HoldfastConfiguration {
        try root.rejectUnknownKeys(allowed: Self.rootKeys)
        let server = try decodeServer(try root.table("server"))
        let upstream = try decodeUpstream(try root.table("upstream"))
        let routes = try decodeRoutes(try root.tables("route"), providers: upstream.providers)
        let cache = try decodeCache(try root.table("cache"))
        let resilience = try decodeResilience(try root.table("resilience"))
        let local = try decodeLocal(try root.tables("local"))
        let control = try decodeControl(try root.table("control"))
        let log = try decodeLog(try root.table("log"))
        return HoldfastConfiguration(
            server: server, upstream: upstream, routes: routes, cache: cache,
            resilience: resilience, local: local, control: control, log: log)
    }

    // MARK: [server]

    func decodeServer(_ reader: TableReader?) throws(ConfigError) -> ServerSection {
        let defaults = ServerSection()
        guard let reader else { return defaults }
        try reader.rejectUnknownKeys(allowed: [
            "listen", "allow", "threads", "tcp_idle_timeout_ms", "tcp_max_connections",
            "rate_limit_qps", "rate_limit_burst", "user",
        ])
        var section = defaults
        if let entries = try reader.strings("listen") {
            if entries.isEmpty {
                throw reader.error("listen", "at least one listen address is required")
            }
            section.listen = try hostPorts(entries, defaultPort: 53, allowPortZero: true)
        }
        if let entries = try reader.strings("allow") {
            if entries.isEmpty {
                throw reader.error(
                    "allow", "is empty, so every client would be refused; use [\"0.0.0.0/0\", \"::/0\"] to allow everyone")
            }
            section.allow = []
            for entry in entries {
                do {
                    section.allow.append(try IPPrefix(parsing: entry.value))
                } catch {
                    throw context.error(entry.keyPath, error.description)
                }
            }
        }
        section.threads = try reader.int("threads", default: defaults.threads, in: 0...1024)
        section.tcpIdleTimeoutMs = try reader.int(
            "tcp_idle_timeout_ms", default: defaults.tcpIdleTimeoutMs, in: 1...3_600_000)
        section.tcpMaxConnections = try reader.int(
            "tcp_max_connections", default: defaults.tcpMaxConnections, in: 1...1_000_000)
        section.rateLimitQPS = try reader.int(
            "rate_limit_qps", default: defaults.rateLimitQPS, in: 0...10_000_000)
        section.rateLimitBurst = try reader.int(
            "rate_limit_burst", default: defaults.rateLimitBurst, in: 0...10_000_000)
        if let user = try reader.string("user") {
            if user.contains(where: { $0.isWhitespace || $0 == ":" || $0 == "/" }) {
                throw reader.error("user", "\"\(user)\" is not a valid user name")
            }
            section.user = user
        }
        return section
    }

    /// Parses address:port strings, rejecting duplicates.
    func hostPorts(
        _ entries: [(value: String, keyPath: String)], defaultPort: UInt16?, allowPortZero: Bool
    ) throws(ConfigError) -> [HostPort] {
        var result: [HostPort] = []
        var seen: [HostPort: String] = [:]
        for entry in entries {
            let hostPort: HostPort
            do {
                hostPort = try HostPort(parsing: entry.value, defaultPort: defaultPort)
            } catch {
                throw context.error(entry.keyPath, error.description)
            }
            if !allowPortZero && hostPort.port == 0 {
                throw context.error(entry.keyPath, "\"\(entry.value)\" has port 0, which no server listens on")
            }
            if let first = seen[hostPort] {
                throw context.error(entry.keyPath, "\(hostPort) is listed twice (also at \(first))")
            }
            seen[hostPort] = entry.keyPath
            result.append(hostPort)
        }
        return result
    }

    // MARK: [control], [log]

    func decodeControl(_ reader: TableReader?) throws(ConfigError) -> ControlSection {
        let defaults = ControlSection()
        guard let reader else { return defaults }
        try reader.rejectUnknownKeys(allowed: ["socket", "metrics_listen"])
        var section = defaults
        if let socket = try reader.string("socket") {
            if socket.isEmpty { throw reader.error("socket", "must not be empty") }
            // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
            if socket.utf8.count > 107 {
                throw reader.error("socket", "is longer than 107 bytes, the limit for a Unix socket path")
            }
            section.socket = socket
        }
        if let metrics = try reader.string("metrics_listen"), !metrics.isEmpty {
            do {
                section.metricsListen = try HostPort(parsing: metrics)
            } catch {
                throw reader.error("metrics_listen", error.description)
            }
        }
        return section
    }

    func decodeLog(_ reader: TableReader?) throws(ConfigError) -> LogSection {
        guard let reader else { return LogSection() }
        try reader.rejectUnknownKeys(allowed: ["queries"])
        return LogSection(queries: try reader.bool("queries", default: LogSection().queries))
    }
}
