// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastResolver
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

extension ClientEndpoint {
    /// The client's address without allocating; IPv4 becomes IPv4-mapped IPv6.
    init(_ address: SocketAddress) {
        switch address {
        case .v4(let v4): self.init(v4.address)
        case .v6(let v6): self.init(v6.address)
        case .unixDomainSocket: self.init()
        }
    }

    /// The sender of a datagram as `recvmmsg` wrote it (AF_INET or AF_INET6).
    init(_ storage: UnsafePointer<sockaddr_storage>) {
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            self.init(UnsafeRawPointer(storage).loadUnaligned(as: sockaddr_in.self))
        case AF_INET6:
            self.init(UnsafeRawPointer(storage).loadUnaligned(as: sockaddr_in6.self))
        default:
            self.init()
        }
    }

    init(_ v4: sockaddr_in) {
        let value = UInt32(bigEndian: v4.sin_addr.s_addr)
        self.init(high: 0, low: 0x0000_FFFF_0000_0000 | UInt64(value), port: UInt16(bigEndian: v4.sin_port), isIPv6: false)
    }

    init(_ v6: sockaddr_in6) {
        var storage = v6.sin6_addr
        let (high, low) = withUnsafeBytes(of: &storage) { raw -> (UInt64, UInt64) in
            var high: UInt64 = 0
            var low: UInt64 = 0
            for index in 0..<8 { high = high << 8 | UInt64(raw[index]) }
            for index in 8..<16 { low = low << 8 | UInt64(raw[index]) }
            return (high, low)
        }
        let mapped = high == 0 && low >> 32 == 0x0000_FFFF
        self.init(high: high, low: low, port: UInt16(bigEndian: v6.sin6_port), isIPv6: !mapped)
    }
}
