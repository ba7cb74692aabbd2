// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Appends DNS wire data to a byte array, compressing names (RFC 1035 §4.1.4) and noting
/// where each record's TTL lies so a cached copy can be re-aged in place.
public struct DNSMessageWriter {
    public private(set) var bytes: [UInt8]
    /// Offsets of the 4-byte TTL field of every record written (OPT excluded).
    public private(set) var ttlOffsets: [Int] = []
    /// Name suffixes already written in full, and where: what a later name may point at. A
    /// short list searched linearly (slices of the names' own bytes, compared case-insensitively
    /// after a length check): messages hold a handful of names, and this is far cheaper than
    /// allocating and hashing every suffix.
    private var compression: [(suffix: ArraySlice<UInt8>, offset: Int)] = []

    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func writeUInt8(_ value: UInt8) { bytes.append(value) }

    public mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func writeUInt32(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8((value >> 16) & 0xFF))
        bytes.append(UInt8((value >> 8) & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func writeHeader(_ header: DNSHeader, counts: (UInt16, UInt16, UInt16, UInt16)) {
        writeUInt16(header.id)
        writeUInt16(header.flags)
        writeUInt16(counts.0)
        writeUInt16(counts.1)
        writeUInt16(counts.2)
        writeUInt16(counts.3)
    }

    /// Writes `name`, pointing at an earlier copy of its longest known suffix when `compress`.
    public mutating func writeName(_ name: DNSName, compress: Bool = true) {
        let wire = name.wireBytes
        var index = 0
        while index < wire.count, wire[index] != 0 {
            if compress {
                let suffix = wire[index...]
                if let target = compression.first(where: { equalIgnoringCase($0.suffix, suffix) }) {
                    writeUInt16(0xC000 | UInt16(target.offset))
                    return
                }
                if bytes.count < 0x3FFF { compression.append((suffix, bytes.count)) }
            }
            let length = Int(wire[index])
            bytes.append(contentsOf: wire[index...(index + length)])
            index += 1 + length
        }
        bytes.append(0)
    }

    public mutating func writeQuestion(_ question: DNSQuestion) {
        writeName(question.name)
        writeUInt16(question.type.rawValue)
        writeUInt16(question.qclass.rawValue)
    }

    public mutating func writeRecord(_ record: DNSRecord) {
        writeName(record.name)
        writeUInt16(record.type.rawValue)
        writeUInt16(record.rclass.rawValue)
        ttlOffsets.append(bytes.count)
        writeUInt32(record.ttl)
        let lengthOffset = bytes.count
        writeUInt16(0)
        let start = bytes.count
        switch record.data {
        case .a(let address), .aaaa(let address):
            bytes.append(contentsOf: address)
        case .name(let name):
            // RFC 3597 §4: only the RFC 1035 types may be compressed; DNAME may not.
            writeName(name, compress: record.type != DNSType(39))
        case .mx(let preference, let exchange):
            writeUInt16(preference)
            writeName(exchange)
        case .txt(let strings):
            // A character-string holds at most 255 bytes: longer ones are split (clients
            // concatenate TXT strings), never cut. TXT RDATA needs at least one string.
            if strings.isEmpty { bytes.append(0) }
            for string in strings {
                var rest = string[...]
                repeat {
                    let chunk = rest.prefix(255)
                    bytes.append(UInt8(chunk.count))
                    bytes.append(contentsOf: chunk)
                    rest = rest.dropFirst(chunk.count)
                } while !rest.isEmpty
            }
        case .soa(let soa):
            writeName(soa.mname)
            writeName(soa.rname)
            writeUInt32(soa.serial)
            writeUInt32(soa.refresh)
            writeUInt32(soa.retry)
            writeUInt32(soa.expire)
            writeUInt32(soa.minimum)
        case .srv(let priority, let weight, let port, let target):
            writeUInt16(priority)
            writeUInt16(weight)
            writeUInt16(port)
            writeName(target, compress: false)
        case .opaque(let data):
            bytes.append(contentsOf: data)
        }
        let length = bytes.count - start
        bytes[lengthOffset] = UInt8((length >> 8) & 0xFF)
        bytes[lengthOffset + 1] = UInt8(length & 0xFF)
    }

    public mutating func writeOPT(_ edns: EDNS) {
        bytes.append(0)
        writeUInt16(DNSType.opt.rawValue)
        writeUInt16(edns.udpPayloadSize)
        writeUInt32(UInt32(edns.extendedRCode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? EDNS.dnssecOKFlag : 0))
        writeUInt16(UInt16(edns.options.reduce(0) { $0 + 4 + $1.data.count }))
        for option in edns.options {
            writeUInt16(option.code)
            writeUInt16(UInt16(option.data.count))
            bytes.append(contentsOf: option.data)
        }
    }
}

extension DNSMessage {
    /// Encoded bytes plus what a cache needs to patch them later.
    public struct Encoded: Sendable {
        public var bytes: [UInt8]
        /// Offsets of every non-OPT record's TTL field.
        public var ttlOffsets: [Int]
        /// True when the message did not fit and was cut to header, question and OPT with TC=1.
        public var truncated: Bool
    }

    /// Encodes with compression. Over `maxSize`, the answer is cut to the header, question and
    /// OPT with TC=1 (the client retries over TCP), as Unbound and BIND do.
    public func encode(maxSize: Int = 65535) -> Encoded {
        var writer = DNSMessageWriter(capacity: 512)
        writer.writeHeader(header, counts: (
            UInt16(clamping: questions.count), UInt16(clamping: answers.count), UInt16(clamping: authorities.count),
            UInt16(clamping: additionals.count + (edns == nil ? 0 : 1))))
        for question in questions { writer.writeQuestion(question) }
        for record in answers { writer.writeRecord(record) }
        for record in authorities { writer.writeRecord(record) }
        for record in additionals { writer.writeRecord(record) }
        if let edns { writer.writeOPT(edns) }
        if writer.bytes.count <= maxSize {
            return Encoded(bytes: writer.bytes, ttlOffsets: writer.ttlOffsets, truncated: false)
        }
        var cut = DNSMessage(header: header, questions: questions, edns: edns)
        cut.header.truncated = true
        var small = DNSMessageWriter(capacity: 300)
        small.writeHeader(cut.header, counts: (UInt16(clamping: questions.count), 0, 0, edns == nil ? 0 : 1))
        for question in questions { small.writeQuestion(question) }
        if let edns { small.writeOPT(edns) }
        return Encoded(bytes: small.bytes, ttlOffsets: [], truncated: true)
    }

    /// The encoded bytes (see `encode(maxSize:)`).
    public func serialize(maxSize: Int = 65535) -> [UInt8] { encode(maxSize: maxSize).bytes }

    /// A recursive query: one question and, when `udpPayloadSize` is set, one bare OPT last.
    public static func makeQuery(id: UInt16, question: DNSQuestion, dnssecOK: Bool = false, udpPayloadSize: UInt16? = EDNS.defaultUDPPayloadSize, recursionDesired: Bool = true) -> [UInt8] {
        var writer = DNSMessageWriter(capacity: question.name.wireBytes.count + 32)
        var header = DNSHeader(id: id)
        header.recursionDesired = recursionDesired
        writer.writeHeader(header, counts: (1, 0, 0, udpPayloadSize == nil ? 0 : 1))
        writer.writeName(question.name, compress: false)
        writer.writeUInt16(question.type.rawValue)
        writer.writeUInt16(question.qclass.rawValue)
        if let udpPayloadSize {
            writer.writeOPT(EDNS(udpPayloadSize: udpPayloadSize, dnssecOK: dnssecOK))
        }
        return writer.bytes
    }

    /// A query for a stream (DNS over TCP, TLS or HTTPS): like `makeQuery`, and its OPT
    /// carries an empty edns-tcp-keepalive option (RFC 7828: "tell me how long to keep the
    /// connection") and, when `paddingBlock` is above 0 (encrypted streams), padding that
    /// brings the message to a multiple of `paddingBlock` octets (RFC 7830, the RFC 8467
    /// block-length policy for queries).
    public static func makeStreamQuery(id: UInt16, question: DNSQuestion, dnssecOK: Bool = false, paddingBlock: Int = 128) -> [UInt8] {
        var unpadded = 12 + question.name.wireBytes.count + 4 + 11 + 4
        var options = [EDNS.Option(code: EDNS.tcpKeepaliveOptionCode, data: [])]
        var padding = 0
        if paddingBlock > 0 {
            unpadded += 4
            padding = (paddingBlock - unpadded % paddingBlock) % paddingBlock
            options.append(EDNS.Option(code: EDNS.paddingOptionCode, data: [UInt8](repeating: 0, count: padding)))
        }
        let edns = EDNS(udpPayloadSize: EDNS.defaultUDPPayloadSize, dnssecOK: dnssecOK, options: options)
        var writer = DNSMessageWriter(capacity: unpadded + padding)
        var header = DNSHeader(id: id)
        header.recursionDesired = true
        writer.writeHeader(header, counts: (1, 0, 0, 1))
        writer.writeName(question.name, compress: false)
        writer.writeUInt16(question.type.rawValue)
        writer.writeUInt16(question.qclass.rawValue)
        writer.writeOPT(edns)
        return writer.bytes
    }
}
