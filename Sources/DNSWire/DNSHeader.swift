/// The fixed 12-byte message header (RFC 1035 §4.1.1), flags kept as one raw 16-bit field.
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    /// QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low 4 rcode bits, as on the wire.
    public var flags: UInt16

    public init(id: UInt16 = 0, flags: UInt16 = 0) {
        self.id = id
        self.flags = flags
    }

    private func bit(_ mask: UInt16) -> Bool { flags & mask != 0 }
    private mutating func set(_ mask: UInt16, _ on: Bool) { flags = on ? flags | mask : flags & ~mask }

    public var isResponse: Bool { get { bit(0x8000) } set { set(0x8000, newValue) } }
    public var opcode: DNSOpcode {
        get { DNSOpcode(rawValue: UInt8((flags >> 11) & 0x0F)) }
        set { flags = (flags & ~0x7800) | (UInt16(newValue.rawValue & 0x0F) << 11) }
    }
    public var authoritative: Bool { get { bit(0x0400) } set { set(0x0400, newValue) } }
    public var truncated: Bool { get { bit(0x0200) } set { set(0x0200, newValue) } }
    public var recursionDesired: Bool { get { bit(0x0100) } set { set(0x0100, newValue) } }
    public var recursionAvailable: Bool { get { bit(0x0080) } set { set(0x0080, newValue) } }
    public var authenticData: Bool { get { bit(0x0020) } set { set(0x0020, newValue) } }
    public var checkingDisabled: Bool { get { bit(0x0010) } set { set(0x0010, newValue) } }
    /// The low 4 bits of the rcode; `DNSMessage.rcode` adds the EDNS extension.
    public var rcodeLow: UInt8 {
        get { UInt8(flags & 0x000F) }
        set { flags = (flags & ~0x000F) | UInt16(newValue & 0x0F) }
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
