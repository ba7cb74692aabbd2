// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// An IP address literal with a port, such as `127.0.0.1:53` or `[::1]:53`.
///
/// Owns the parsed, validated form of one socket address written in a config file:
/// the canonical address text (`host`, without brackets), its bytes and the port.
/// Hostnames are rejected: nothing here resolves names.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// The address in canonical text form, without brackets (`127.0.0.1`, `::1`).
    public let host: String
    /// The port, in host byte order.
    public let port: UInt16
    /// IPv4 or IPv6.
    public let family: IPFamily
    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public let addressBytes: [UInt8]

    /// Parses `a.b.c.d:port` or `[v6]:port`.
    ///
    /// When `defaultPort` is given, a bare address (`127.0.0.1`, `::1`, `[::1]`) is accepted
    /// and gets that port; otherwise the port is required.
    public init(parsing text: String, defaultPort: UInt16? = nil) throws(AddressParseError) {
        func fail(_ problem: String) -> AddressParseError {
            AddressParseError(input: text, problem: problem)
        }
        let hostText: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw fail("has \"[\" without a matching \"]\"")
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else {
                    throw fail("has unexpected text after \"]\": expected \":port\"")
                }
                portText = rest.dropFirst()
            }
            guard hostText.contains(":") else {
                throw fail("uses brackets, which are only for IPv6 addresses")
            }
        } else {
            let colons = text.reduce(0) { $1 == ":" ? $0 + 1 : $0 }
            if colons == 1, let colon = text.firstIndex(of: ":") {
                hostText = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                // No colon: bare IPv4 (or a hostname). Several: bare IPv6.
                hostText = text[...]
            }
        }
        guard let (family, bytes) = IPLiteral.parse(String(hostText)) else {
            throw AddressParseError(input: text, problem: IPLiteral.rejection(for: String(hostText)))
        }
        let port: UInt16
        if let portText {
            guard let parsed = IPLiteral.parsePort(portText) else {
                throw fail("has an invalid port \"\(portText)\": expected a number 0-65535")
            }
            port = parsed
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw fail(
                family == .v6
                    ? "has no port: write it as [address]:port, e.g. [::1]:53"
                    : "has no port: write it as address:port, e.g. 127.0.0.1:53")
        }
        self.init(family: family, addressBytes: bytes, port: port)
    }

    /// Builds a value from 4 or 16 address bytes. Returns nil for any other byte count.
    public init?(addressBytes: [UInt8], port: UInt16) {
        switch addressBytes.count {
        case 4: self.init(family: .v4, addressBytes: addressBytes, port: port)
        case 16: self.init(family: .v6, addressBytes: addressBytes, port: port)
        default: return nil
        }
    }

    private init(family: IPFamily, addressBytes: [UInt8], port: UInt16) {
        self.family = family
        self.addressBytes = addressBytes
        self.port = port
        self.host = IPLiteral.format(addressBytes)
    }

    /// `127.0.0.1:53` or `[::1]:53`.
    public var description: String {
        family == .v6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
