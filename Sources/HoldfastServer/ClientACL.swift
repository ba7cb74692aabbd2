// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastResolver
import NetAddress

/// `server.allow`: which client addresses may query. The matching is `IPPrefixList`'s (one
/// implementation of prefix matching, with its rules: IPv4 prefixes match plain IPv4 clients
/// and IPv4-mapped clients on an IPv6 socket; IPv6 prefixes never match IPv4 clients).
/// Checked per packet: the client's address is already two 64-bit halves, so nothing allocates.
public struct ClientACL: Sendable {
    /// The prefixes, as matched.
    public let prefixes: IPPrefixList

    public init(_ prefixes: IPPrefixList) {
        self.prefixes = prefixes
    }

    public init(_ prefixes: [IPPrefix]) {
        self.init(IPPrefixList(prefixes))
    }

    /// True when `client` lies in one of the prefixes.
    @inline(__always)
    public func allows(_ client: ClientEndpoint) -> Bool {
        prefixes.contains(ipv6High: client.high, low: client.low)
    }
}
