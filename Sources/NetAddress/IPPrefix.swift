// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A CIDR prefix such as `127.0.0.0/8` or `::1/128`, used for client access control.
///
/// Owns a validated network and prefix length. Parsing is lenient about host bits:
/// `10.1.2.3/8` is accepted and masked to `10.0.0.0/8`. A bare address is a host
/// prefix (`/32` or `/128`).
///
/// IPv4 is matched the same way however it arrives: an IPv4-mapped IPv6 client address
/// (`::ffff:a.b.c.d`, as seen on dual-stack sockets) matches IPv4 prefixes, and a prefix
/// written inside `::ffff:0:0/96` with length >= 96 is stored as the IPv4 prefix it means.
/// IPv6 prefixes never match IPv4 clients (so `::/0` means "every IPv6 client").
public struct IPPrefix: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline let packed: PackedPrefix
    /// IPv4 or IPv6.
    public let family: IPFamily
    /// The prefix length in bits: 0...32 for IPv4, 0...128 for IPv6.
    public let length: Int

    /// Parses `address/length` or a bare address (a host prefix).
    public init(parsing text: String) throws(AddressParseError) {
        let addressText: Substring
        var length: Int?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            let lengthText = text[text.index(after: slash)...]
            guard !lengthText.isEmpty, lengthText.utf8.count <= 3,
                lengthText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let parsed = Int(lengthText)
            else {
                throw AddressParseError(
                    input: text, problem: "has an invalid prefix length \"\(lengthText)\"")
            }
            length = parsed
        } else {
            addressText = text[...]
        }
        guard let (family, bytes) = IPLiteral.parse(String(addressText)) else {
            throw AddressParseError(
                input: text, problem: IPLiteral.rejection(for: String(addressText)))
        }
        let maxLength = family.bitCount
        let bits = length ?? maxLength
        guard bits <= maxLength else {
            throw AddressParseError(
                input: text,
                problem: "has prefix length \(bits), more than \(maxLength) for an \(family) address")
        }
        // Force-unwrap-free: IPLiteral.parse returns exactly 4 or 16 bytes.
        guard var address = PackedAddress(bytes: bytes) else {
            throw AddressParseError(input: text, problem: "is not a valid IP address")
        }
        var effectiveBits = bits
        if family == .v6 && address.isV4 {
            // Written as ::ffff:a.b.c.d/n.
            if bits >= 96 {
                effectiveBits = bits - 96
            } else {
                // Shorter than the mapped range: an ordinary IPv6 prefix (which,
                // like every IPv6 prefix, does not match IPv4 clients).
                address = PackedAddress(rawIPv6: bytes)
            }
        }
        self.packed = PackedPrefix(network: address, length: effectiveBits)
        self.family = address.isV4 ? .v4 : .v6
        self.length = effectiveBits
    }

    /// The network address (host bits cleared), 4 or 16 bytes in network order.
    public var networkBytes: [UInt8] { packed.networkBytes }

    /// Whether the 4- or 16-byte address (network order) is inside this prefix.
    /// Any other length is never inside.
    @inlinable
    public func contains(_ addressBytes: some Collection<UInt8>) -> Bool {
        guard let address = PackedAddress(bytes: addressBytes) else { return false }
        return packed.matches(address)
    }

    /// Whether the address of `hostPort` is inside this prefix.
    public func contains(_ hostPort: HostPort) -> Bool {
        contains(hostPort.addressBytes)
    }

    /// `127.0.0.0/8`, `::1/128`.
    public var description: String {
        "\(IPLiteral.format(networkBytes))/\(length)"
    }
}
