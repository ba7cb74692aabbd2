// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import NetAddress

/// How a question is spread over the configured providers.
public enum UpstreamPolicy: String, Sendable, Equatable, CaseIterable {
    /// In the order written, moving on when one fails.
    case failover
    /// Lowest smoothed RTT first.
    case fastest
    /// All providers at once; the first answer wins.
    case race
}

/// `transport` of a provider: how its servers are reached.
public enum ProviderTransport: String, Sendable, Equatable, CaseIterable {
    /// Plain DNS (UDP, TCP on truncation); servers default to port 53.
    case dns
    /// Plain DNS over one persistent, pipelined TCP connection per server (RFC 7766);
    /// servers default to port 53.
    case tcp
    /// DNS over TLS (RFC 7858); servers default to port 853.
    case tls
    /// DNS over HTTPS (RFC 8484, HTTP/2); servers default to port 443.
    case https

    /// The port of a server written without one.
    public var defaultPort: UInt16 {
        switch self {
        case .dns, .tcp: 53
        case .tls: 853
        case .https: 443
        }
    }
}

/// The TLS keys of a `tls`/`https` provider (RFC 8310 authentication).
public struct ProviderTLSSection: Sendable, Equatable {
    /// `tls_name`: SNI and the name checked against the certificate ("" only without verify).
    public var name: String
    /// `tls_verify`: false is the opportunistic profile (encrypted, not authenticated).
    public var verify: Bool
    /// `tls_ca_file`: PEM file of trusted CAs; "" = the system store.
    public var caFile: String
    /// `tls_pins`: SHA-256 SPKI digests, 32 bytes each (decoded from base64).
    public var pins: [[UInt8]]
    /// `https_path`: the DoH URI path (`https` only).
    public var httpsPath: String

    public init(name: String = "", verify: Bool = true, caFile: String = "", pins: [[UInt8]] = [], httpsPath: String = "/dns-query") {
        self.name = name
        self.verify = verify
        self.caFile = caFile
        self.pins = pins
        self.httpsPath = httpsPath
    }
}

/// One `[[upstream.provider]]`: a named group of servers run by one operator.
public struct ProviderSection: Sendable, Equatable {
    /// `name`: unique, used in routes, metrics and `holdfastctl upstreams`.
    public var name: String
    /// `servers`: the provider's servers, tried in order.
    public var servers: [HostPort]
    /// `transport`.
    public var transport: ProviderTransport
    /// The TLS keys; nil for `dns` and `tcp`.
    public var tls: ProviderTLSSection?

    public init(name: String, servers: [HostPort], transport: ProviderTransport = .dns, tls: ProviderTLSSection? = nil) {
        self.name = name
        self.servers = servers
        self.transport = transport
        self.tls = tls
    }
}

/// `[upstream]`: forwarding policy, timeouts, health tracking and the providers.
public struct UpstreamSection: Sendable, Equatable {
    /// `policy`.
    public var policy: UpstreamPolicy
    /// `timeout_ms`: one attempt at one server.
    public var timeoutMs: Int
    /// `hedge_after_ms`: no answer by then, also ask the next provider; 0 disables.
    public var hedgeAfterMs: Int
    /// `failure_threshold`: consecutive failures that mark a server down.
    public var failureThreshold: Int
    /// `probe_interval_s`: how often a server marked down is probed.
    public var probeIntervalS: Int
    /// `randomize_case`: DNS 0x20 — randomise the letter case of forwarded names and
    /// require the reply to echo it.
    public var randomizeCase: Bool
    /// `rotate_after_queries`: replace a server's c-ares channel after this many queries so
    /// source ports change; 0 disables.
    public var rotateAfterQueries: Int
    /// `retry_budget_percent`: extra attempts (sent while another attempt of the same question
    /// is live: hedges, the move at an RTO, resends) are limited to this share of the last 10 s
    /// of questions, plus the reserve below.
    public var retryBudgetPercent: Int
    /// `retry_budget_min_per_s`: the reserve: a bucket of ten times this, full at start,
    /// refilled at this many a second.
    public var retryBudgetMinPerS: Int
    /// `tls_idle_timeout_ms`: a stream connection (`tcp`, `tls`, `https`) without queries this
    /// long is closed.
    public var tlsIdleTimeoutMs: Int
    /// `max_in_flight`: questions waiting on upstreams at once; beyond it a new miss gets
    /// stale data or SERVFAIL at once (as dnsmasq's dns-forward-max).
    public var maxInFlight: Int
    /// `[[upstream.provider]]`, in the order written. Never empty after parsing.
    public var providers: [ProviderSection]

    public init(
        policy: UpstreamPolicy = .failover,
        timeoutMs: Int = 1_000,
        hedgeAfterMs: Int = 250,
        failureThreshold: Int = 3,
        probeIntervalS: Int = 5,
        randomizeCase: Bool = true,
        rotateAfterQueries: Int = 500,
        retryBudgetPercent: Int = 20,
        retryBudgetMinPerS: Int = 10,
        tlsIdleTimeoutMs: Int = 10_000,
        maxInFlight: Int = 10_000,
        providers: [ProviderSection] = []
    ) {
        self.policy = policy
        self.timeoutMs = timeoutMs
        self.hedgeAfterMs = hedgeAfterMs
        self.failureThreshold = failureThreshold
        self.probeIntervalS = probeIntervalS
        self.randomizeCase = randomizeCase
        self.rotateAfterQueries = rotateAfterQueries
        self.retryBudgetPercent = retryBudgetPercent
        self.retryBudgetMinPerS = retryBudgetMinPerS
        self.tlsIdleTimeoutMs = tlsIdleTimeoutMs
        self.maxInFlight = maxInFlight
        self.providers = providers
    }
}

/// One `[[route]]`: conditional forwarding of names at or under `domains` to `providers`.
public struct RouteSection: Sendable, Equatable {
    /// `domains`: the suffixes as names (lowercase), e.g. `corp.example.`.
    public var domains: [DNSName]
    /// `providers`: names of `[[upstream.provider]]` entries, all of which exist.
    public var providers: [String]

    public init(domains: [DNSName], providers: [String]) {
        self.domains = domains
        self.providers = providers
    }
}
