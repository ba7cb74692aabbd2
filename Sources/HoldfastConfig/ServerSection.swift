// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import NetAddress

/// `[server]`: where Holdfast listens, who may ask, and front-end limits.
public struct ServerSection: Sendable, Equatable {
    /// `listen`: UDP and TCP are served on each address.
    public var listen: [HostPort]
    /// `allow`: client ACL; everyone else gets REFUSED.
    public var allow: [IPPrefix]
    /// `threads`: event-loop threads; 0 = one per core.
    public var threads: Int
    /// `tcp_idle_timeout_ms`: a TCP connection with no complete query for this long is closed.
    public var tcpIdleTimeoutMs: Int
    /// `tcp_max_connections`: open TCP client connections at most; more are refused at accept.
    public var tcpMaxConnections: Int
    /// `rate_limit_qps`: queries per second allowed per client IP; 0 = no limit.
    public var rateLimitQPS: Int
    /// `rate_limit_burst`: token-bucket depth per client IP; 0 = same as `rate_limit_qps`.
    public var rateLimitBurst: Int
    /// `user`: when started as root, drop to this user after binding; "" = do not change user.
    public var user: String

    public init(
        listen: [HostPort] = ServerSection.defaultListen,
        allow: [IPPrefix] = ServerSection.defaultAllow,
        threads: Int = 0,
        tcpIdleTimeoutMs: Int = 10_000,
        tcpMaxConnections: Int = 1_000,
        rateLimitQPS: Int = 0,
        rateLimitBurst: Int = 0,
        user: String = ""
    ) {
        self.listen = listen
        self.allow = allow
        self.threads = threads
        self.tcpIdleTimeoutMs = tcpIdleTimeoutMs
        self.tcpMaxConnections = tcpMaxConnections
        self.rateLimitQPS = rateLimitQPS
        self.rateLimitBurst = rateLimitBurst
        self.user = user
    }

    /// The client ACL as a matcher for the per-packet path (builds a new list: keep it).
    public var allowList: IPPrefixList { IPPrefixList(allow) }

    /// `rate_limit_burst` with 0 resolved to `rate_limit_qps`.
    public var effectiveRateLimitBurst: Int { rateLimitBurst == 0 ? rateLimitQPS : rateLimitBurst }

    /// 127.0.0.1:53 and [::1]:53.
    public static let defaultListen: [HostPort] = ["127.0.0.1:53", "[::1]:53"].compactMap {
        try? HostPort(parsing: $0)
    }

    /// 127.0.0.0/8 and ::1/128.
    public static let defaultAllow: [IPPrefix] = ["127.0.0.0/8", "::1/128"].compactMap {
        try? IPPrefix(parsing: $0)
    }
}
