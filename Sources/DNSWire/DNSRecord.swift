// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// One resource record: owner name, type, class, TTL and typed RDATA.
public struct DNSRecord: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var type: DNSType
    public var rclass: DNSClass
    public var ttl: UInt32
    public var data: DNSRData

    public init(name: DNSName, type: DNSType, rclass: DNSClass = .in, ttl: UInt32, data: DNSRData) {
        self.name = name
        self.type = type
        self.rclass = rclass
        self.ttl = ttl
        self.data = data
    }

    /// Zone-file style: `www.example. 300 IN A 192.0.2.1`.
    public var description: String {
        "\(name) \(ttl) \(rclass) \(type) \(data)"
    }
}

/// Start of authority data (RFC 1035 §3.3.13); `minimum` bounds negative caching (RFC 2308).
public struct SOAData: Hashable, Sendable {
    public var mname: DNSName
    public var rname: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// RDATA, typed for the types whose names need (de)compression or that Holdfast answers
/// locally; every other type is kept as opaque bytes (RFC 3597).
public enum DNSRData: Hashable, Sendable, CustomStringConvertible {
    case a([UInt8])
    case aaaa([UInt8])
    /// NS, CNAME, PTR and DNAME: a single domain name.
    case name(DNSName)
    case mx(preference: UInt16, exchange: DNSName)
    /// Character-strings. On write, strings over 255 bytes are split into 255-byte pieces and
    /// an empty list becomes one empty string, so the wire form is always valid.
    case txt([[UInt8]])
    case soa(SOAData)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    case opaque([UInt8])

    public var description: String {
        switch self {
        case .a(let bytes):
            return bytes.map(String.init).joined(separator: ".")
        case .aaaa(let bytes):
            return formatIPv6(bytes)
        case .name(let name):
            return name.description
        case .mx(let preference, let exchange):
            return "\(preference) \(exchange)"
        case .txt(let strings):
            return strings.map { "\"" + escapeTXT($0) + "\"" }.joined(separator: " ")
        case .soa(let soa):
            return "\(soa.mname) \(soa.rname) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .srv(let priority, let weight, let port, let target):
            return "\(priority) \(weight) \(port) \(target)"
        case .opaque(let bytes):
            let hex = bytes.map { byte -> String in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
            return "\\# \(bytes.count) \(hex)"
        }
    }
}

func escapeTXT(_ bytes: [UInt8]) -> String {
    var text = ""
    for byte in bytes {
        appendPresentation(byte, to: &text, escaping: [UInt8(ascii: "\""), UInt8(ascii: "\\")], printable: 0x20...0x7E)
    }
    return text
}

/// Zone-file presentation of one byte (RFC 1035 §5.1): `\c` for the bytes in `escaping`,
/// the byte itself when printable, `\DDD` otherwise. Shared by names and TXT strings.
func appendPresentation(_ byte: UInt8, to text: inout String, escaping: [UInt8], printable: ClosedRange<UInt8>) {
    if escaping.contains(byte) {
        text.append("\\")
        text.append(Character(Unicode.Scalar(byte)))
    } else if printable.contains(byte) {
        text.append(Character(Unicode.Scalar(byte)))
    } else {
        let digits = String(byte)
        text.append("\\" + String(repeating: "0", count: 3 - digits.count) + digits)
    }
}

/// RFC 5952 text for 16 address bytes (longest zero run compressed).
public func formatIPv6(_ bytes: [UInt8]) -> String {
    guard bytes.count == 16 else { return "?" }
    var groups: [UInt16] = []
    for index in stride(from: 0, to: 16, by: 2) {
        groups.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
    }
    var bestStart = -1
    var bestLength = 0
    var index = 0
    while index < 8 {
        if groups[index] == 0 {
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength && end - index > 1 {
                bestStart = index
                bestLength = end - index
            }
            index = end
        } else {
            index += 1
        }
    }
    func hex(_ range: Range<Int>) -> String {
        groups[range].map { String($0, radix: 16) }.joined(separator: ":")
    }
    if bestStart < 0 { return hex(0..<8) }
    return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
}

extension DNSRData {
    /// Reads `length` bytes of RDATA of `type` at the reader's position, decompressing names.
    static func read(type: DNSType, length: Int, from reader: inout DNSReader) throws(DNSWireError) -> DNSRData {
        let start = reader.offset
        guard length <= reader.remaining else { throw .truncated(offset: start) }
        let end = start + length
        let data: DNSRData
        switch type {
        case .a:
            guard length == 4 else { throw .badRData(offset: start) }
            data = .a(try reader.readBytes(4))
        case .aaaa:
            guard length == 16 else { throw .badRData(offset: start) }
            data = .aaaa(try reader.readBytes(16))
        case .ns, .cname, .ptr, DNSType(39):
            data = .name(try reader.readName())
        case .mx:
            let preference = try reader.readUInt16()
            data = .mx(preference: preference, exchange: try reader.readName())
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = Int(try reader.readUInt8())
                guard reader.offset + count <= end else { throw .badRData(offset: start) }
                strings.append(try reader.readBytes(count))
            }
            guard !strings.isEmpty else { throw .badRData(offset: start) }
            data = .txt(strings)
        case .soa:
            let mname = try reader.readName()
            let rname = try reader.readName()
            data = .soa(SOAData(
                mname: mname, rname: rname, serial: try reader.readUInt32(), refresh: try reader.readUInt32(),
                retry: try reader.readUInt32(), expire: try reader.readUInt32(), minimum: try reader.readUInt32()))
        case .srv:
            let priority = try reader.readUInt16()
            let weight = try reader.readUInt16()
            let port = try reader.readUInt16()
            data = .srv(priority: priority, weight: weight, port: port, target: try reader.readName())
        default:
            data = .opaque(try reader.readBytes(length))
        }
        guard reader.offset == end else { throw .badRData(offset: start) }
        return data
    }
}
