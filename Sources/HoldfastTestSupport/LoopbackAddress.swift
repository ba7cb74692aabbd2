// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc

/// A loopback socket address (127.0.0.0/8 or ::1) with a port. The fixtures only ever talk
/// to these: constructing one from any other address throws.
public struct LoopbackAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: UInt16

    /// `host` is an IPv4 address in 127.0.0.0/8 or "::1".
    public init(host: String = "127.0.0.1", port: UInt16) throws {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            guard UInt32(bigEndian: v4.s_addr) >> 24 == 127 else {
                throw TestSupportError.refused("\(host) is not a loopback address")
            }
        } else {
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, host, &v6) == 1, host == "::1" || Self.isIPv6Loopback(v6) else {
                throw TestSupportError.refused("\(host) is not a loopback address")
            }
        }
        self.host = host
        self.port = port
    }

    /// 127.0.0.1:`port`.
    public static func v4(_ port: UInt16) -> LoopbackAddress {
        LoopbackAddress(trusted: "127.0.0.1", port: port)
    }

    /// [::1]:`port`.
    public static func v6(_ port: UInt16) -> LoopbackAddress {
        LoopbackAddress(trusted: "::1", port: port)
    }

    private init(trusted host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public var isIPv6: Bool { host.contains(":") }

    /// "127.0.0.1:53" or "[::1]:53", as config files spell it.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func isIPv6Loopback(_ address: in6_addr) -> Bool {
        withUnsafeBytes(of: address) { bytes in
            bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
        }
    }

    /// Calls `body` with this address as a `sockaddr`.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t, Int32) throws -> T) rethrows -> T {
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, host, &address.sin6_addr)
            return try withUnsafePointer(to: &address) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size), AF_INET6)
                }
            }
        }
        var address = sockaddr_in.loopback(port: port)
        _ = inet_pton(AF_INET, host, &address.sin_addr)
        return try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try body($0, socklen_t(MemoryLayout<sockaddr_in>.size), AF_INET)
            }
        }
    }
}
