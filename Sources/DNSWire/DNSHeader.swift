// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The fixed 12-byte message header (RFC 1035 §4.1.1), flags kept as one raw 16-bit field.
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    /// QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low 4 rcode bits, as on the wire.
    public var flags: UInt16

    public init(id: UInt16 = 0, flags: UInt16 = 0) {
        self.id = id
        self.flags = flags
    }

    /// The masks of `flags`, named once (RFC 1035 §4.1.1; AD and CD: RFC 4035 §3.2).
    public enum Flag {
        /// QR: a response.
        public static let response: UInt16 = 0x8000
        /// The 4-bit opcode (bits 11–14).
        public static let opcode: UInt16 = 0x7800
        /// AA
        public static let authoritative: UInt16 = 0x0400
        /// TC
        public static let truncated: UInt16 = 0x0200
        /// RD
        public static let recursionDesired: UInt16 = 0x0100
        /// RA
        public static let recursionAvailable: UInt16 = 0x0080
        /// AD
        public static let authenticData: UInt16 = 0x0020
        /// CD
        public static let checkingDisabled: UInt16 = 0x0010
        /// The low 4 bits of the rcode.
        public static let rcode: UInt16 = 0x000F
        /// What an answer to a QUERY copies from the query: opcode, RD and CD.
        public static let copiedFromQuery: UInt16 = opcode | recursionDesired | checkingDisabled
        /// What an answer to any other opcode copies: opcode and RD (RA, AD and CD are
        /// defined for QUERY only).
        public static let copiedFromOtherOpcode: UInt16 = opcode | recursionDesired
    }

    private func bit(_ mask: UInt16) -> Bool { flags & mask != 0 }
    private mutating func set(_ mask: UInt16, _ on: Bool) { flags = on ? flags | mask : flags & ~mask }

    public var isResponse: Bool { get { bit(Flag.response) } set { set(Flag.response, newValue) } }
    public var opcode: DNSOpcode {
        get { DNSOpcode(rawValue: UInt8((flags & Flag.opcode) >> 11)) }
        set { flags = (flags & ~Flag.opcode) | (UInt16(newValue.rawValue & 0x0F) << 11) }
    }
    public var authoritative: Bool { get { bit(Flag.authoritative) } set { set(Flag.authoritative, newValue) } }
    public var truncated: Bool { get { bit(Flag.truncated) } set { set(Flag.truncated, newValue) } }
    public var recursionDesired: Bool { get { bit(Flag.recursionDesired) } set { set(Flag.recursionDesired, newValue) } }
    public var recursionAvailable: Bool { get { bit(Flag.recursionAvailable) } set { set(Flag.recursionAvailable, newValue) } }
    public var authenticData: Bool { get { bit(Flag.authenticData) } set { set(Flag.authenticData, newValue) } }
    public var checkingDisabled: Bool { get { bit(Flag.checkingDisabled) } set { set(Flag.checkingDisabled, newValue) } }
    /// The low 4 bits of the rcode; `DNSMessage.rcode` adds the EDNS extension.
    public var rcodeLow: UInt8 {
        get { UInt8(flags & Flag.rcode) }
        set { flags = (flags & ~Flag.rcode) | (UInt16(newValue) & Flag.rcode) }
    }
}

/// One question: name, type, class.
public struct DNSQuestion: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var type: DNSType
    public var qclass: DNSClass

    public init(name: DNSName, type: DNSType, qclass: DNSClass = .in) {
        self.name = name
        self.type = type
        self.qclass = qclass
    }

    public var description: String { "\(name) \(qclass) \(type)" }
}
