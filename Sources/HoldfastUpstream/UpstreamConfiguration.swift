// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTLS

/// An upstream server's address: an IP literal (IPv4 or IPv6) and a port.
public struct UpstreamServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal, without brackets.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16 = 53) {
        self.host = host
        self.port = port
    }

    /// Parses "192.0.2.1", "192.0.2.1:53", "::1", "[::1]:5353". Returns nil for anything else.
    public init?(parsing text: String) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            var port: UInt16 = 53
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let parsed = UInt16(rest.dropFirst()) else { return nil }
                port = parsed
            }
            self.init(host: host, port: port)
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            guard let port = UInt16(text[text.index(after: colon)...]) else { return nil }
            self.init(host: String(text[..<colon]), port: port)
        } else {
            self.init(host: text, port: 53)
        }
        guard SocketAddressBytes(host: host, port: port) != nil else { return nil }
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Everything the upstream layer needs from `[upstream]`, `[[upstream.provider]]` and `[[route]]`.
public struct UpstreamConfiguration: Sendable, Equatable {
    /// How a question picks its servers.
    public enum Policy: String, Sendable {
        /// Providers in config order, servers in order, skipping servers that are down.
        case failover
        /// Lowest smoothed RTT among servers that are up, exploring another now and then.
        case fastest
        /// The first up server of every eligible provider at once; first good answer wins.
        case race
    }

    /// How queries reach a provider's servers.
    public enum Transport: Sendable, Hashable {
        /// Plain DNS through c-ares (UDP, TCP on truncation).
        case dns
        /// Plain DNS over one persistent, pipelined TCP connection per server (RFC 7766).
        case tcp
        /// DNS over TLS (RFC 7858), authenticated as `TLSClientSettings` says.
        case tls(TLSClientSettings)
        /// DNS over HTTPS (RFC 8484, HTTP/2 POST to `path`), authenticated the same way.
        case https(TLSClientSettings, path: String)

        /// The name in `/upstreams`: "dns", "tls", "https".
        public var name: String {
            switch self {
            case .dns: "dns"
            case .tcp: "tcp"
            case .tls: "tls"
            case .https: "https"
            }
        }
    }

    /// A named group of servers run by one operator.
    public struct Provider: Sendable, Equatable {
        public var name: String
        public var servers: [UpstreamServerAddress]
        public var transport: Transport
        public init(name: String, servers: [UpstreamServerAddress], transport: Transport = .dns) {
            self.name = name
            self.servers = servers
            self.transport = transport
        }
    }

    /// Conditional forwarding: names at or under `domains` go only to `providers`.
    public struct Route: Sendable, Equatable {
        public var domains: [DNSName]
        public var providers: [String]
        public init(domains: [DNSName], providers: [String]) {
            self.domains = domains
            self.providers = providers
        }
    }

    public var policy: Policy
    /// One attempt at one server (c-ares' own timeout).
    public var timeoutMs: Int
    /// Still unanswered after this long: also ask the next provider. 0 disables.
    public var hedgeAfterMs: Int
    /// Consecutive failures that mark a server down.
    public var failureThreshold: Int
    /// How often a down server is probed.
    public var probeIntervalSeconds: Int
    public var providers: [Provider]
    public var routes: [Route]
    /// Randomise the case of forwarded names (DNS 0x20) and require it echoed.
    public var randomizeCase: Bool
    /// When a server's c-ares channel (and so its source port) is replaced.
    public var rotateAfterQueries: ChannelRotation
    /// Extra attempts (sent while another of the question's attempts is live: hedges, the move
    /// at an RTO, resends): this share (percent) of the last 10 s of questions...
    public var retryBudgetPercent: Int
    /// ...plus a reserve of this many a second, ten seconds' worth usable at once.
    public var retryBudgetMinPerSecond: Int
    /// A stream connection (tcp, tls, https) without queries for this long is closed (sooner when the server
    /// asks for less with edns-tcp-keepalive).
    public var tlsIdleTimeoutMs: Int

    /// Every tunable is given: the defaults live once, in the config (`UpstreamSection` in
    /// HoldfastConfig), and the daemon maps each value from there.
    public init(
        policy: Policy, timeoutMs: Int, hedgeAfterMs: Int, failureThreshold: Int,
        probeIntervalSeconds: Int, providers: [Provider], routes: [Route] = [],
        randomizeCase: Bool, rotateAfterQueries: ChannelRotation, retryBudgetPercent: Int,
        retryBudgetMinPerSecond: Int, tlsIdleTimeoutMs: Int
    ) {
        self.policy = policy
        self.timeoutMs = timeoutMs
        self.hedgeAfterMs = hedgeAfterMs
        self.failureThreshold = failureThreshold
        self.probeIntervalSeconds = probeIntervalSeconds
        self.providers = providers
        self.routes = routes
        self.randomizeCase = randomizeCase
        self.rotateAfterQueries = rotateAfterQueries
        self.retryBudgetPercent = retryBudgetPercent
        self.retryBudgetMinPerSecond = retryBudgetMinPerSecond
        self.tlsIdleTimeoutMs = tlsIdleTimeoutMs
    }
}

/// When a `dns` server's c-ares channel is replaced by a fresh one. A channel keeps its UDP
/// socket (one source port) for its whole life, so this is what makes source ports change.
public enum ChannelRotation: Sendable, Equatable {
    /// One channel, one socket, for as long as the configuration stands.
    case never
    /// A fresh channel after this many queries (at least 1).
    case afterQueries(Int)

    /// The config file's `rotate_after_queries`: 0 means never.
    public init(rotateAfterQueries count: Int) {
        self = count <= 0 ? .never : .afterQueries(count)
    }

    /// True when a channel that has carried `sent` queries takes no more.
    func isDue(sent: Int) -> Bool {
        switch self {
        case .never: return false
        case .afterQueries(let limit): return sent >= limit
        }
    }
}
