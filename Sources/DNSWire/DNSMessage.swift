// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A whole DNS message, decoded: header, sections and the EDNS OPT record (kept apart from
/// the additional section). Decoding is total; encoding compresses names and can truncate.
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authorities: [DNSRecord]
    /// Additional records other than OPT.
    public var additionals: [DNSRecord]
    public var edns: EDNS?

    public init(
        header: DNSHeader = DNSHeader(), questions: [DNSQuestion] = [], answers: [DNSRecord] = [],
        authorities: [DNSRecord] = [], additionals: [DNSRecord] = [], edns: EDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// The full 12-bit rcode (header bits plus the EDNS extension).
    public var rcode: DNSRCode {
        get { DNSRCode(UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(header.rcodeLow)) }
        set {
            header.rcodeLow = UInt8(newValue.rawValue & 0x0F)
            if newValue.rawValue > 0x0F { edns = edns ?? EDNS() }
            edns?.extendedRCode = UInt8((newValue.rawValue >> 4) & 0xFF)
        }
    }

    /// Decodes a message; throws `DNSWireError` for anything malformed, including trailing bytes.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        let result: Result<DNSMessage, DNSWireError> = bytes.withUnsafeBytes { buffer in
            do throws(DNSWireError) {
                return .success(try DNSMessage(buffer: buffer))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Decodes a message from a borrowed buffer.
    public init(buffer: UnsafeRawBufferPointer) throws(DNSWireError) {
        var reader = DNSReader(buffer)
        let id = try reader.readUInt16()
        let flags = try reader.readUInt16()
        let counts = [try reader.readUInt16(), try reader.readUInt16(), try reader.readUInt16(), try reader.readUInt16()]
        // Lying counts fail fast: every question needs ≥ 5 bytes and every record ≥ 11.
        guard Int(counts[0]) * 5 + (Int(counts[1]) + Int(counts[2]) + Int(counts[3])) * 11 <= reader.remaining else {
            throw .truncated(offset: reader.offset)
        }
        header = DNSHeader(id: id, flags: flags)
        questions = []
        for _ in 0..<counts[0] {
            guard reader.remaining >= 5 else { throw .truncated(offset: reader.offset) }
            let name = try reader.readName()
            let type = DNSType(try reader.readUInt16())
            let qclass = DNSClass(try reader.readUInt16())
            questions.append(DNSQuestion(name: name, type: type, qclass: qclass))
        }
        answers = try Self.readRecords(count: counts[1], from: &reader)
        authorities = try Self.readRecords(count: counts[2], from: &reader)
        var additional = try Self.readRecords(count: counts[3], from: &reader, allowOPT: true)
        edns = nil
        if let optIndex = additional.firstIndex(where: { $0.type == .opt }) {
            let opt = additional.remove(at: optIndex)
            guard !additional.contains(where: { $0.type == .opt }), opt.name.isRoot else { throw .badOPT }
            edns = try Self.decodeEDNS(opt)
        }
        additionals = additional
        guard reader.remaining == 0 else { throw .trailingBytes(offset: reader.offset) }
    }

    private static func readRecords(count: UInt16, from reader: inout DNSReader, allowOPT: Bool = false) throws(DNSWireError) -> [DNSRecord] {
        var records: [DNSRecord] = []
        records.reserveCapacity(min(Int(count), reader.remaining / 11))
        for _ in 0..<count {
            guard reader.remaining >= 11 else { throw .truncated(offset: reader.offset) }
            let name = try reader.readName()
            let type = DNSType(try reader.readUInt16())
            let rclass = DNSClass(try reader.readUInt16())
            let ttl = try reader.readUInt32()
            let length = Int(try reader.readUInt16())
            if type == .opt {
                guard allowOPT else { throw .badOPT }
                records.append(DNSRecord(name: name, type: type, rclass: rclass, ttl: ttl, data: .opaque(try reader.readBytes(length))))
            } else {
                let data = try DNSRData.read(type: type, length: length, from: &reader)
                records.append(DNSRecord(name: name, type: type, rclass: rclass, ttl: ttl, data: data))
            }
        }
        return records
    }

    private static func decodeEDNS(_ opt: DNSRecord) throws(DNSWireError) -> EDNS {
        guard case .opaque(let data) = opt.data else { throw .badOPT }
        var options: [EDNS.Option] = []
        var index = 0
        while index < data.count {
            guard index + 4 <= data.count else { throw .badOPT }
            let code = UInt16(data[index]) << 8 | UInt16(data[index + 1])
            let length = Int(UInt16(data[index + 2]) << 8 | UInt16(data[index + 3]))
            guard index + 4 + length <= data.count else { throw .badOPT }
            options.append(EDNS.Option(code: code, data: Array(data[(index + 4)..<(index + 4 + length)])))
            index += 4 + length
        }
        return EDNS(
            udpPayloadSize: opt.rclass.rawValue, extendedRCode: UInt8(opt.ttl >> 24),
            version: UInt8((opt.ttl >> 16) & 0xFF), dnssecOK: opt.ttl & EDNS.dnssecOKFlag != 0, options: options)
    }
}
