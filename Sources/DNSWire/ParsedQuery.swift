// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// What a server needs from a client's query, read without decoding the whole message:
/// header, the first question (name kept in the client's case) and the EDNS OPT, if any.
public struct ParsedQuery: Sendable {
    public var header: DNSHeader
    public var questionCount: UInt16
    /// The first question; nil when QDCOUNT is 0.
    public var question: DNSQuestion?
    /// The client's OPT record, if any.
    public var edns: EDNS?

    /// Parses a client query. Throws for anything malformed; the caller decides between
    /// FORMERR and dropping (see `DNSHeader` when at least 12 bytes arrived).
    public init(buffer: UnsafeRawBufferPointer) throws(DNSWireError) {
        var reader = DNSReader(buffer)
        header = DNSHeader(id: try reader.readUInt16(), flags: try reader.readUInt16())
        questionCount = try reader.readUInt16()
        let answerCount = try reader.readUInt16()
        let authorityCount = try reader.readUInt16()
        let additionalCount = try reader.readUInt16()
        question = nil
        edns = nil
        guard questionCount <= 1 else { return }
        if questionCount == 1 {
            let name = try reader.readName()
            let type = DNSType(try reader.readUInt16())
            let qclass = DNSClass(try reader.readUInt16())
            question = DNSQuestion(name: name, type: type, qclass: qclass)
        }
        // Queries rarely carry answer/authority records; skip them to reach the OPT.
        let recordsBeforeAdditional = Int(answerCount) + Int(authorityCount)
        guard recordsBeforeAdditional + Int(additionalCount) <= reader.remaining / 11 else {
            throw .truncated(offset: reader.offset)
        }
        for _ in 0..<recordsBeforeAdditional {
            try Self.skipRecord(&reader)
        }
        for _ in 0..<additionalCount {
            let nameStart = reader.offset
            // The OPT owner is the root (one zero byte): check it without building the name.
            let ownerIsRoot: Bool
            if nameStart < buffer.count && buffer[nameStart] == 0 {
                ownerIsRoot = true
                try reader.skip(1)
            } else {
                var labels = 0
                let afterName = try DNSNameWalk.walk(buffer, at: nameStart) { _ in labels += 1 }
                try reader.skip(afterName - nameStart)
                ownerIsRoot = labels == 0
            }
            let type = DNSType(try reader.readUInt16())
            let rclass = try reader.readUInt16()
            let ttl = try reader.readUInt32()
            let length = Int(try reader.readUInt16())
            guard type == .opt else {
                try reader.skip(length)
                continue
            }
            guard edns == nil, ownerIsRoot else { throw .badOPT }
            var options: [EDNS.Option] = []
            let end = reader.offset + length
            guard end <= buffer.count else { throw .truncated(offset: reader.offset) }
            while reader.offset < end {
                let code = try reader.readUInt16()
                let optionLength = Int(try reader.readUInt16())
                guard reader.offset + optionLength <= end else { throw .badOPT }
                options.append(EDNS.Option(code: code, data: try reader.readBytes(optionLength)))
            }
            edns = EDNS(
                udpPayloadSize: rclass, extendedRCode: UInt8(ttl >> 24), version: UInt8((ttl >> 16) & 0xFF),
                dnssecOK: ttl & EDNS.dnssecOKFlag != 0, options: options)
        }
        guard reader.remaining == 0 else { throw .trailingBytes(offset: reader.offset) }
    }

    /// Convenience for tests and cold paths.
    public init(bytes: [UInt8]) throws(DNSWireError) {
        let result: Result<ParsedQuery, DNSWireError> = bytes.withUnsafeBytes { buffer in
            do throws(DNSWireError) { return .success(try ParsedQuery(buffer: buffer)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    private static func skipRecord(_ reader: inout DNSReader) throws(DNSWireError) {
        let afterName = try DNSNameWalk.walk(reader.bytes, at: reader.offset)
        try reader.skip(afterName - reader.offset)
        try reader.skip(8)
        let length = Int(try reader.readUInt16())
        try reader.skip(length)
    }

    /// The UDP payload size the client accepts: 512 without EDNS, else its value within
    /// [512, `cap`] (RFC 6891 §6.2.5; the default cap is `EDNS.defaultUDPPayloadSize`).
    public func udpResponseLimit(cap: Int = Int(EDNS.defaultUDPPayloadSize)) -> Int {
        guard let edns else { return 512 }
        return min(max(Int(edns.udpPayloadSize), 512), cap)
    }
}
