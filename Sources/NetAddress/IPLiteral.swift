// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Textual IP literal <-> bytes, through the C library's inet_pton / inet_ntop.
enum IPLiteral {
    /// Parses a bare IPv4 or IPv6 literal (no brackets, no port, no zone).
    static func parse(_ text: String) -> (IPFamily, [UInt8])? {
        if text.isEmpty || text.utf8.count > 64 { return nil }
        if text.contains(":") {
            var storage = in6_addr()
            let ok = text.withCString { inet_pton(AF_INET6, $0, &storage) }
            guard ok == 1 else { return nil }
            return (.v6, withUnsafeBytes(of: &storage) { Array($0) })
        } else {
            var storage = in_addr()
            let ok = text.withCString { inet_pton(AF_INET, $0, &storage) }
            guard ok == 1 else { return nil }
            return (.v4, withUnsafeBytes(of: &storage) { Array($0) })
        }
    }

    /// Canonical text for 4 or 16 address bytes ("127.0.0.1", "::1").
    static func format(_ bytes: [UInt8]) -> String {
        var out = [CChar](repeating: 0, count: 64)
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return "<invalid address>"
        }
        let ok = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                inet_ntop(family, src.baseAddress, dst.baseAddress, socklen_t(dst.count)) != nil
            }
        }
        guard ok else { return "<invalid address>" }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A one-line reason why `text` is not an IP literal.
    static func rejection(for text: String) -> String {
        if text.isEmpty { return "is empty: expected an IP address literal" }
        if text.contains("%") { return "has an IPv6 zone index, which is not supported" }
        let looksNumeric = text.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".")
                || c == UInt8(ascii: ":")
                || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
                || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
        }
        if !looksNumeric || !text.contains(where: { $0 == "." || $0 == ":" }) {
            return "is not an IP address literal (hostnames are not accepted; write an address such as 127.0.0.1 or ::1)"
        }
        return "is not a valid IPv4 or IPv6 address"
    }

    /// Parses a decimal port, 0...65535.
    static func parsePort(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.utf8.count <= 5,
            text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(text), value <= 65535
        else { return nil }
        return UInt16(value)
    }
}
