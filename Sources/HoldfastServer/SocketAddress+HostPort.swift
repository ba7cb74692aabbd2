// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import NIOCore
import NetAddress

#if canImport(Glibc)
import Glibc
#endif

extension SocketAddress {
    /// The socket address of a validated `HostPort`, built from its bytes: no second parse of
    /// the address text, and nothing that can fail.
    public init(_ hostPort: HostPort) {
        switch hostPort.family {
        case .v4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = hostPort.port.bigEndian
            Self.copy(hostPort.addressBytes, into: &address.sin_addr)
            self.init(address, host: "")
        case .v6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = hostPort.port.bigEndian
            Self.copy(hostPort.addressBytes, into: &address.sin6_addr)
            self.init(address, host: "")
        }
    }

    /// Copies address bytes (network order) into an `in_addr`/`in6_addr` of that size.
    private static func copy<Address>(_ bytes: [UInt8], into address: inout Address) {
        withUnsafeMutableBytes(of: &address) { raw in
            for index in 0..<min(raw.count, bytes.count) { raw[index] = bytes[index] }
        }
    }
}
