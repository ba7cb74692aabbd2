// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import NIOCore

/// The DNS front end's settings: where to listen, who may ask, TCP limits.
public struct ServerConfiguration: Sendable {
    /// UDP and TCP are bound on each address.
    public var listen: [SocketAddress]
    public var acl: ClientACL
    /// Close a TCP connection with nothing outstanding after this long (RFC 7766 §6.2.3).
    public var tcpIdleTimeout: TimeAmount
    /// Connections beyond this are closed at once.
    public var tcpMaxConnections: Int
    /// Per-client-address queries per second (0 = unlimited) and burst.
    public var rateLimitQPS: Int
    public var rateLimitBurst: Int

    public init(listen: [SocketAddress], acl: ClientACL, tcpIdleTimeout: TimeAmount = .seconds(10), tcpMaxConnections: Int = 1000, rateLimitQPS: Int = 0, rateLimitBurst: Int = 0) {
        self.listen = listen
        self.acl = acl
        self.tcpIdleTimeout = tcpIdleTimeout
        self.tcpMaxConnections = tcpMaxConnections
        self.rateLimitQPS = rateLimitQPS
        self.rateLimitBurst = rateLimitBurst
    }
}
