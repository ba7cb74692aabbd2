// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A bare IPv4 or IPv6 address literal such as `192.168.1.1` or `fd00::53`, without a port.
///
/// Owns the validated bytes and canonical text of one address, e.g. the data of an A or AAAA
/// record written in a config file.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// IPv4 or IPv6.
    public let family: IPFamily
    /// 4 or 16 bytes in network order.
    public let bytes: [UInt8]

    /// Parses a literal (no brackets, no port, no zone index). Hostnames are rejected.
    public init(parsing text: String) throws(AddressParseError) {
        guard let (family, bytes) = IPLiteral.parse(text) else {
            throw AddressParseError(input: text, problem: IPLiteral.rejection(for: text))
        }
        self.family = family
        self.bytes = bytes
    }

    /// Canonical text: `127.0.0.1`, `::1`.
    public var description: String { IPLiteral.format(bytes) }
}
