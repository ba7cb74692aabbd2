// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// An address packed into two integers for allocation-free prefix matching.
///
/// IPv4 addresses — including IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) — are
/// `isV4 == true` with the 32-bit address in the low bits of `low`; IPv6 addresses are
/// `isV4 == false` with the 128 bits split over `high` and `low`.
@usableFromInline
struct PackedAddress: Sendable, Hashable {
    @usableFromInline var isV4: Bool
    @usableFromInline var high: UInt64
    @usableFromInline var low: UInt64

    @inlinable
    init(isV4: Bool, high: UInt64, low: UInt64) {
        self.isV4 = isV4
        self.high = high
        self.low = low
    }

    /// Packs 4 or 16 bytes in network order; nil for any other length.
    @inlinable
    init?(bytes: some Collection<UInt8>) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var count = 0
        for byte in bytes {
            if count >= 16 { return nil }
            if count < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
            count += 1
        }
        switch count {
        case 4:
            self.init(isV4: true, high: 0, low: high)
        case 16:
            self.init(ipv6High: high, low: low)
        default:
            return nil
        }
    }

    /// Packs a 128-bit IPv6 address given as two halves (network order, high first); an
    /// IPv4-mapped address (`::ffff:a.b.c.d`) becomes the IPv4 address it carries.
    @inlinable
    init(ipv6High high: UInt64, low: UInt64) {
        if high == 0 && low >> 32 == 0xFFFF {
            self.init(isV4: true, high: 0, low: low & 0xFFFF_FFFF)
        } else {
            self.init(isV4: false, high: high, low: low)
        }
    }
}

/// A packed network and mask: `address & mask == network` means "inside".
@usableFromInline
struct PackedPrefix: Sendable, Hashable {
    @usableFromInline var network: PackedAddress
    @usableFromInline var maskHigh: UInt64
    @usableFromInline var maskLow: UInt64

    init(network address: PackedAddress, length: Int) {
        if address.isV4 {
            let bits = max(0, min(32, length))
            maskHigh = 0
            maskLow = bits == 0 ? 0 : (0xFFFF_FFFF as UInt64) << UInt64(32 - bits) & 0xFFFF_FFFF
        } else {
            let bits = max(0, min(128, length))
            maskHigh = bits == 0 ? 0 : (bits >= 64 ? ~0 : ~0 << UInt64(64 - bits))
            maskLow = bits <= 64 ? 0 : (bits == 128 ? ~0 : ~0 << UInt64(128 - bits))
        }
        network = PackedAddress(
            isV4: address.isV4, high: address.high & maskHigh, low: address.low & maskLow)
    }

    @inlinable
    func matches(_ address: PackedAddress) -> Bool {
        address.isV4 == network.isV4
            && address.high & maskHigh == network.high
            && address.low & maskLow == network.low
    }

    /// The masked network as 4 or 16 bytes in network order.
    var networkBytes: [UInt8] {
        if network.isV4 {
            return (0..<4).map { UInt8(truncatingIfNeeded: network.low >> UInt64(24 - 8 * $0)) }
        }
        let high = (0..<8).map { UInt8(truncatingIfNeeded: network.high >> UInt64(56 - 8 * $0)) }
        let low = (0..<8).map { UInt8(truncatingIfNeeded: network.low >> UInt64(56 - 8 * $0)) }
        return high + low
    }
}

extension PackedAddress {
    /// Packs 16 bytes as IPv6 without the IPv4-mapped normalisation.
    init(rawIPv6 bytes: [UInt8]) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.prefix(16).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(isV4: false, high: high, low: low)
    }
}
