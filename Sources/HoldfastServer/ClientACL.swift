import HoldfastResolver

/// `server.allow`: which client addresses may query. Checked per packet, so it works on the
/// two 64-bit halves of the address with precomputed masks and never allocates.
/// IPv4 clients are held as IPv4-mapped IPv6 (::ffff:a.b.c.d), so IPv4 prefixes match both
/// plain IPv4 clients and IPv4-mapped clients on an IPv6 socket.
public struct ClientACL: Sendable {
    private struct Rule: Sendable {
        var high: UInt64
        var low: UInt64
        var maskHigh: UInt64
        var maskLow: UInt64
    }

    private let rules: [Rule]

    /// Builds the list from address bytes (4 or 16) and prefix lengths.
    public init(prefixes: [(address: [UInt8], length: Int)]) {
        rules = prefixes.compactMap { prefix -> Rule? in
            let bytes: [UInt8]
            let length: Int
            switch prefix.address.count {
            case 4:
                bytes = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + prefix.address
                length = 96 + min(max(prefix.length, 0), 32)
            case 16:
                bytes = prefix.address
                length = min(max(prefix.length, 0), 128)
            default:
                return nil
            }
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let maskHigh: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~0 << UInt64(64 - length))
            let lowBits = length - 64
            let maskLow: UInt64 = lowBits >= 64 ? ~0 : (lowBits <= 0 ? 0 : ~0 << UInt64(64 - lowBits))
            return Rule(high: high & maskHigh, low: low & maskLow, maskHigh: maskHigh, maskLow: maskLow)
        }
    }

    /// True when `client` lies in one of the prefixes.
    @inline(__always)
    public func allows(_ client: ClientEndpoint) -> Bool {
        for rule in rules where client.high & rule.maskHigh == rule.high && client.low & rule.maskLow == rule.low {
            return true
        }
        return false
    }
}
