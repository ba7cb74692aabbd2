// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The EDNS(0) pseudo-record (RFC 6891): payload size, extended rcode bits, DO, options.
public struct EDNS: Hashable, Sendable {
    /// One EDNS option: code and raw data.
    public struct Option: Hashable, Sendable {
        public var code: UInt16
        public var data: [UInt8]
        public init(code: UInt16, data: [UInt8]) {
            self.code = code
            self.data = data
        }
    }

    /// The UDP payload size Holdfast advertises and the most it sends a client over UDP: the
    /// DNS Flag Day 2020 value, which fits an IPv6 packet on a 1280-byte MTU path unfragmented.
    public static let defaultUDPPayloadSize: UInt16 = 1232

    /// The DO bit in the OPT record's TTL field (RFC 3225).
    public static let dnssecOKFlag: UInt32 = 0x8000

    public var udpPayloadSize: UInt16
    /// The upper 8 bits of the 12-bit rcode.
    public var extendedRCode: UInt8
    public var version: UInt8
    public var dnssecOK: Bool
    public var options: [Option]

    public init(udpPayloadSize: UInt16 = EDNS.defaultUDPPayloadSize, extendedRCode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false, options: [Option] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }

    /// An Extended DNS Error option (RFC 8914).
    public static func extendedError(_ infoCode: UInt16, text: String = "") -> Option {
        var data: [UInt8] = [UInt8(infoCode >> 8), UInt8(infoCode & 0xFF)]
        data.append(contentsOf: Array(text.utf8))
        return Option(code: ExtendedDNSError.optionCode, data: data)
    }

    /// The Extended DNS Error info codes present, in order.
    public var extendedErrorCodes: [UInt16] {
        options.compactMap { option in
            guard option.code == ExtendedDNSError.optionCode, option.data.count >= 2 else { return nil }
            return UInt16(option.data[0]) << 8 | UInt16(option.data[1])
        }
    }

    /// edns-tcp-keepalive (RFC 7828).
    public static let tcpKeepaliveOptionCode: UInt16 = 11
    /// Padding (RFC 7830).
    public static let paddingOptionCode: UInt16 = 12

    /// The idle timeout a server asked for with edns-tcp-keepalive, in units of 100 ms; nil
    /// when it sent none (or the option without a timeout, which only a client may send).
    public var tcpKeepaliveTimeout: UInt16? {
        guard let option = options.first(where: { $0.code == Self.tcpKeepaliveOptionCode }), option.data.count == 2 else {
            return nil
        }
        return UInt16(option.data[0]) << 8 | UInt16(option.data[1])
    }

    /// Wire length of this OPT record including its fixed part.
    var wireLength: Int { 11 + options.reduce(0) { $0 + 4 + $1.data.count } }
}
