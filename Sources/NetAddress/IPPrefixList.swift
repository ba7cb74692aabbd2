// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A set of prefixes checked together, e.g. the server's client allow-list.
///
/// Owns the prefixes and their precomputed masks. `contains` packs the address once and
/// compares it against each mask with integer operations: no allocation, suitable for
/// every packet.
public struct IPPrefixList: Sendable, Hashable, CustomStringConvertible {
    /// The prefixes, in the order given.
    public let prefixes: [IPPrefix]
    @usableFromInline let packed: [PackedPrefix]

    public init(_ prefixes: [IPPrefix]) {
        self.prefixes = prefixes
        self.packed = prefixes.map(\.packed)
    }

    /// Parses each string as an `IPPrefix`.
    public init(parsing texts: [String]) throws(AddressParseError) {
        var prefixes: [IPPrefix] = []
        prefixes.reserveCapacity(texts.count)
        for text in texts {
            prefixes.append(try IPPrefix(parsing: text))
        }
        self.init(prefixes)
    }

    /// Whether the list has no prefixes (and so contains nothing).
    public var isEmpty: Bool { prefixes.isEmpty }

    /// Whether the 4- or 16-byte address (network order) is inside any prefix.
    /// IPv4-mapped IPv6 addresses match IPv4 prefixes; other lengths match nothing.
    @inlinable
    public func contains(_ addressBytes: some Collection<UInt8>) -> Bool {
        guard let address = PackedAddress(bytes: addressBytes) else { return false }
        for prefix in packed where prefix.matches(address) {
            return true
        }
        return false
    }

    /// Whether the IPv6 address given as two 64-bit halves (network order, high first) is
    /// inside any prefix; an IPv4-mapped address (`::ffff:a.b.c.d`) is matched as IPv4. For
    /// callers that hold addresses packed this way already (the server's per-packet ACL).
    @inlinable
    public func contains(ipv6High high: UInt64, low: UInt64) -> Bool {
        let address = PackedAddress(ipv6High: high, low: low)
        for prefix in packed where prefix.matches(address) {
            return true
        }
        return false
    }

    /// Whether the address of `hostPort` is inside any prefix.
    public func contains(_ hostPort: HostPort) -> Bool {
        contains(hostPort.addressBytes)
    }

    public var description: String {
        prefixes.map(\.description).joined(separator: ", ")
    }
}
