// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A resource record type (RFC 1035 §3.2.2 and later registrations).
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(1)
    public static let ns = DNSType(2)
    public static let cname = DNSType(5)
    public static let soa = DNSType(6)
    public static let ptr = DNSType(12)
    public static let hinfo = DNSType(13)
    public static let mx = DNSType(15)
    public static let txt = DNSType(16)
    public static let aaaa = DNSType(28)
    public static let srv = DNSType(33)
    public static let naptr = DNSType(35)
    public static let ds = DNSType(43)
    public static let rrsig = DNSType(46)
    public static let nsec = DNSType(47)
    public static let dnskey = DNSType(48)
    public static let https = DNSType(65)
    public static let svcb = DNSType(64)
    public static let opt = DNSType(41)
    public static let axfr = DNSType(252)
    public static let ixfr = DNSType(251)
    public static let any = DNSType(255)
    public static let caa = DNSType(257)

    private static let names: [(DNSType, String)] = [
        (.a, "A"), (.ns, "NS"), (.cname, "CNAME"), (.soa, "SOA"), (.ptr, "PTR"), (.hinfo, "HINFO"),
        (.mx, "MX"), (.txt, "TXT"), (.aaaa, "AAAA"), (.srv, "SRV"), (.naptr, "NAPTR"), (.ds, "DS"),
        (.rrsig, "RRSIG"), (.nsec, "NSEC"), (.dnskey, "DNSKEY"), (.svcb, "SVCB"), (.https, "HTTPS"),
        (.opt, "OPT"), (.axfr, "AXFR"), (.ixfr, "IXFR"), (.any, "ANY"), (.caa, "CAA"),
    ]

    /// The mnemonic ("AAAA") or the RFC 3597 form ("TYPE65280").
    public var description: String {
        for (type, name) in Self.names where type == self { return name }
        return "TYPE\(rawValue)"
    }

    /// Parses a mnemonic (case-insensitive) or "TYPEnnn"; nil when neither.
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let match = Self.names.first(where: { $0.1 == upper }) {
            self = match.0
        } else if upper.hasPrefix("TYPE"), let value = UInt16(upper.dropFirst(4)) {
            self.init(value)
        } else {
            return nil
        }
    }
}

/// A resource record class; in practice always IN.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let `in` = DNSClass(1)
    public static let ch = DNSClass(3)
    public static let any = DNSClass(255)

    public var description: String {
        switch self {
        case .in: return "IN"
        case .ch: return "CH"
        case .any: return "ANY"
        default: return "CLASS\(rawValue)"
        }
    }
}

/// A response code, including the extended bits carried in OPT (RFC 6891).
public struct DNSRCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSRCode(0)
    public static let formatError = DNSRCode(1)
    public static let serverFailure = DNSRCode(2)
    public static let nxDomain = DNSRCode(3)
    public static let notImplemented = DNSRCode(4)
    public static let refused = DNSRCode(5)
    public static let badVersion = DNSRCode(16)

    public var description: String {
        switch self {
        case .noError: return "NOERROR"
        case .formatError: return "FORMERR"
        case .serverFailure: return "SERVFAIL"
        case .nxDomain: return "NXDOMAIN"
        case .notImplemented: return "NOTIMP"
        case .refused: return "REFUSED"
        case .badVersion: return "BADVERS"
        default: return "RCODE\(rawValue)"
        }
    }
}

/// A header opcode (RFC 1035 §4.1.1).
public struct DNSOpcode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let query = DNSOpcode(rawValue: 0)
    public static let notify = DNSOpcode(rawValue: 4)
    public static let update = DNSOpcode(rawValue: 5)
}

/// Extended DNS Error info codes used by Holdfast (RFC 8914).
public enum ExtendedDNSError {
    public static let optionCode: UInt16 = 15
    public static let staleAnswer: UInt16 = 3
    public static let notReady: UInt16 = 14
    public static let noReachableAuthority: UInt16 = 22
    public static let networkError: UInt16 = 23
    public static let prohibited: UInt16 = 18
}
