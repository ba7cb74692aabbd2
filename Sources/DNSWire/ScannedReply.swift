// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// An upstream reply made ready to store without decoding it: one validating pass over its
/// bytes finds what the cache needs (the question, every record's TTL offset, the first SOA of
/// the authority section, the rcode), and the stored form is the reply's own bytes with the
/// ID zeroed, TC cleared, the OPT record cut off and every name lowercased in place — the form
/// `StoredAnswer` patches per client on the way out, as it does for cache hits.
///
/// The scan is stricter than `DNSMessage(parsing:)`: whatever it accepts, that decoder accepts
/// too, with the same records (names equal ignoring case), which the wire-codec fuzzer checks.
/// It takes only the shape real servers send: one question, OPT (if any) the last record with
/// no extended rcode, compression pointers that land on a name it has walked (never into the
/// header or into opaque RDATA), typed RDATA framed exactly. A nil result is not a verdict on
/// the reply — the caller decodes it the general way.
public struct ScannedReply: Sendable {
    /// The stored form: the reply without OPT, ID 0, TC clear, names lowercased.
    public var bytes: [UInt8]
    /// Offsets in `bytes` of the TTL field of every record, in order.
    public var ttlOffsets: [UInt16]
    /// Length of the (uncompressed) question name at offset 12.
    public let questionNameLength: Int
    public let questionType: DNSType
    public let questionClass: DNSClass
    public let rcode: DNSRCode
    /// TC was set in the reply (it is cleared in `bytes`).
    public let wasTruncated: Bool
    /// Records in the answer section.
    public let answerCount: Int
    /// The answer section holds a record of the question's type or a CNAME (or the question
    /// is ANY): the resolver's test for a negative answer.
    public let answersQuestion: Bool
    /// The answer section holds a record of the question's own type (or the question is ANY):
    /// data, not only a CNAME towards it.
    public let hasQuestionTypeData: Bool
    /// TTL offset and MINIMUM of the first SOA record in the authority section (RFC 2308).
    public let authoritySOA: (ttlOffset: Int, minimum: UInt32)?

    /// Answers up to this size are kept (as `StoredAnswer(message:)` does).
    public static let maximumStoredSize = 16_384

    /// Scans `reply`; nil when it is not of the shape described above.
    public init?(reply: [UInt8]) {
        guard let found = reply.withUnsafeBytes({ Scan.run($0) }) else { return nil }
        let length = found.storedLength
        guard length <= Self.maximumStoredSize else { return nil }
        var copy = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            reply.withUnsafeBufferPointer { source in
                if let from = source.baseAddress, let to = buffer.baseAddress { to.initialize(from: from, count: length) }
            }
            count = length
        }
        copy.withUnsafeMutableBytes { raw in
            raw[0] = 0
            raw[1] = 0
            raw[2] &= ~UInt8(DNSHeader.Flag.truncated >> 8)
            if found.hasOPT {
                let additional = (UInt16(raw[10]) << 8 | UInt16(raw[11])) - 1
                raw[10] = UInt8(additional >> 8)
                raw[11] = UInt8(additional & 0xFF)
            }
            Scan.lowercaseNames(raw, records: found.ttlOffsets.count)
        }
        bytes = copy
        ttlOffsets = found.ttlOffsets
        questionNameLength = found.questionNameLength
        questionType = found.questionType
        questionClass = found.questionClass
        rcode = found.rcode
        wasTruncated = found.wasTruncated
        answerCount = found.answerCount
        answersQuestion = found.answersQuestion
        hasQuestionTypeData = found.hasQuestionTypeData
        authoritySOA = found.authoritySOA
    }

    /// The TTL at `offset` in `bytes`.
    public func ttl(at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// The record type whose TTL is at `offset` (type and class precede the TTL).
    public func recordType(atTTLOffset offset: Int) -> DNSType {
        DNSType(UInt16(bytes[offset - 4]) << 8 | UInt16(bytes[offset - 3]))
    }

    /// Rewrites every record's TTL in place: `transform(type, ttl)` gives the new value.
    public mutating func rewriteTTLs(_ transform: (DNSType, UInt32) -> UInt32) {
        for offset16 in ttlOffsets {
            let offset = Int(offset16)
            let value = transform(recordType(atTTLOffset: offset), ttl(at: offset))
            bytes[offset] = UInt8(value >> 24)
            bytes[offset + 1] = UInt8((value >> 16) & 0xFF)
            bytes[offset + 2] = UInt8((value >> 8) & 0xFF)
            bytes[offset + 3] = UInt8(value & 0xFF)
        }
    }

    /// The smallest record TTL; nil when there are no records.
    public var minimumTTL: UInt32? {
        var lowest: UInt32?
        for offset in ttlOffsets {
            let value = ttl(at: Int(offset))
            lowest = min(lowest ?? value, value)
        }
        return lowest
    }

    /// The stored answer as it stands (TTLs as in `bytes`).
    public func storedAnswer(fallbackTTL: UInt32 = 0) -> StoredAnswer {
        StoredAnswer(bytes: bytes, ttlOffsets: ttlOffsets, questionNameLength: questionNameLength,
                     minimumTTL: minimumTTL ?? fallbackTTL, rcode: rcode)
    }
}

/// The two passes: a read-only validating scan of the reply, then lowercasing on the copy.
private enum Scan {
    struct Found {
        var storedLength: Int
        var hasOPT: Bool
        var ttlOffsets: [UInt16]
        var questionNameLength: Int
        var questionType: DNSType
        var questionClass: DNSClass
        var rcode: DNSRCode
        var wasTruncated: Bool
        var answerCount: Int
        var answersQuestion: Bool
        var hasQuestionTypeData: Bool
        var authoritySOA: (ttlOffset: Int, minimum: UInt32)?
    }

    @inline(__always)
    static func u16(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> Int { Int(raw[offset]) << 8 | Int(raw[offset + 1]) }

    static func run(_ raw: UnsafeRawBufferPointer) -> Found? {
        let end = raw.count
        guard end >= 17, end <= 65_535, u16(raw, 4) == 1 else { return nil }
        // Every byte offset where a walked, in-place label (or a name's final zero) starts: the
        // only places a compression pointer may land.
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: (end + 63) / 64) { words -> Found? in
            words.initialize(repeating: 0)
            var starts = LabelStarts(words: words)
            return run(raw, end: end, starts: &starts)
        }
    }

    struct LabelStarts {
        let words: UnsafeMutableBufferPointer<UInt64>
        @inline(__always) mutating func insert(_ offset: Int) { words[offset >> 6] |= 1 << UInt64(offset & 63) }
        @inline(__always) func contains(_ offset: Int) -> Bool { words[offset >> 6] & (1 << UInt64(offset & 63)) != 0 }
    }

    /// Walks the name at `start`: in-place labels must end by `limit`, a pointer must land on
    /// a recorded label start below `start`. Records this name's in-place label starts and
    /// returns the offset past the name (past its pointer), or nil.
    @inline(__always)
    static func name(_ raw: UnsafeRawBufferPointer, at start: Int, limit: Int, starts: inout LabelStarts) -> Int? {
        var position = start
        var total = 0
        while position < limit {
            let length = Int(raw[position])
            if length == 0 {
                starts.insert(position)
                return total + 1 <= 255 ? position + 1 : nil
            }
            if length & 0xC0 == 0xC0 {
                guard position + 1 < limit else { return nil }
                let target = (length & 0x3F) << 8 | Int(raw[position + 1])
                // A recorded start lies in an earlier name, so below `start`; the name it
                // continues was length-checked on its own, the sum is checked here.
                guard target >= 12, target < start, starts.contains(target),
                      total + remainingLength(raw, from: target) <= 255 else { return nil }
                return position + 2
            }
            guard length & 0xC0 == 0, position + 1 + length <= limit else { return nil }
            starts.insert(position)
            total += 1 + length
            guard total < 255 else { return nil }
            position += 1 + length
        }
        return nil
    }

    /// The wire length of the (already validated) name continuing at `offset`.
    static func remainingLength(_ raw: UnsafeRawBufferPointer, from offset: Int) -> Int {
        var position = offset
        var total = 0
        while true {
            let length = Int(raw[position])
            if length == 0 { return total + 1 }
            if length & 0xC0 == 0xC0 {
                position = (length & 0x3F) << 8 | Int(raw[position + 1])
                continue
            }
            total += 1 + length
            position += 1 + length
        }
    }

    static func run(_ raw: UnsafeRawBufferPointer, end: Int, starts: inout LabelStarts) -> Found? {
        let answerCount = u16(raw, 6)
        let authorityCount = u16(raw, 8)
        let records = answerCount + authorityCount + u16(raw, 10)
        // Lying counts fail fast: every record needs at least 11 bytes.
        guard records * 11 <= end - 17 else { return nil }
        guard let afterQuestion = name(raw, at: 12, limit: end, starts: &starts), afterQuestion + 4 <= end else { return nil }
        let questionType = DNSType(UInt16(u16(raw, afterQuestion)))
        let questionClass = DNSClass(UInt16(u16(raw, afterQuestion + 2)))
        var position = afterQuestion + 4
        var ttlOffsets: [UInt16] = []
        ttlOffsets.reserveCapacity(records)
        var answersQuestion = false
        var hasQuestionTypeData = false
        var authoritySOA: (ttlOffset: Int, minimum: UInt32)?
        var optStart: Int?
        for record in 0..<records {
            let ownerStart = position
            guard let afterName = name(raw, at: position, limit: end, starts: &starts), afterName + 10 <= end else { return nil }
            let type = UInt16(u16(raw, afterName))
            let dataStart = afterName + 10
            let dataEnd = dataStart + u16(raw, afterName + 8)
            guard dataEnd <= end else { return nil }
            if type == 41 {
                // OPT: the last record, owner the root written in place, no extended rcode,
                // options framed exactly.
                guard record == records - 1, record >= answerCount + authorityCount, afterName == ownerStart + 1,
                      raw[afterName + 4] == 0, optionsAreFramed(raw, start: dataStart, end: dataEnd) else { return nil }
                optStart = ownerStart
                position = dataEnd
                continue
            }
            guard rdataIsValid(raw, type: type, start: dataStart, end: dataEnd, starts: &starts) else { return nil }
            ttlOffsets.append(UInt16(afterName + 4))
            if record < answerCount {
                if type == questionType.rawValue || type == DNSType.cname.rawValue || questionType == .any { answersQuestion = true }
                if type == questionType.rawValue || questionType == .any { hasQuestionTypeData = true }
            } else if record < answerCount + authorityCount, type == DNSType.soa.rawValue, authoritySOA == nil {
                let minimum = UInt32(u16(raw, dataEnd - 4)) << 16 | UInt32(u16(raw, dataEnd - 2))
                authoritySOA = (afterName + 4, minimum)
            }
            position = dataEnd
        }
        guard position == end else { return nil }
        return Found(
            storedLength: optStart ?? end, hasOPT: optStart != nil, ttlOffsets: ttlOffsets,
            questionNameLength: afterQuestion - 12, questionType: questionType, questionClass: questionClass,
            rcode: DNSRCode(UInt16(raw[3] & 0x0F)), wasTruncated: raw[2] & UInt8(DNSHeader.Flag.truncated >> 8) != 0,
            answerCount: answerCount, answersQuestion: answersQuestion, hasQuestionTypeData: hasQuestionTypeData,
            authoritySOA: authoritySOA)
    }

    static func optionsAreFramed(_ raw: UnsafeRawBufferPointer, start: Int, end: Int) -> Bool {
        var position = start
        while position < end {
            guard position + 4 <= end else { return false }
            position += 4 + u16(raw, position + 2)
        }
        return position == end
    }

    /// The typed RDATA checks of `DNSRData.read`, names walked (and recorded) as above.
    static func rdataIsValid(_ raw: UnsafeRawBufferPointer, type: UInt16, start: Int, end: Int, starts: inout LabelStarts) -> Bool {
        switch type {
        case 1: return end - start == 4
        case 28: return end - start == 16
        case 2, 5, 12, 39: return name(raw, at: start, limit: end, starts: &starts) == end
        case 15: return end - start >= 3 && name(raw, at: start + 2, limit: end, starts: &starts) == end
        case 33: return end - start >= 7 && name(raw, at: start + 6, limit: end, starts: &starts) == end
        case 6:
            guard let afterMname = name(raw, at: start, limit: end, starts: &starts),
                  let afterRname = name(raw, at: afterMname, limit: end, starts: &starts) else { return false }
            return afterRname + 20 == end
        case 16:
            guard end > start else { return false }
            var position = start
            while position < end { position += 1 + Int(raw[position]) }
            return position == end
        default: return true
        }
    }

    /// Lowercases, in the validated copy (no OPT), the in-place labels of the question and of
    /// every owner name and typed RDATA name; pointers land only on those, so every name reads
    /// lowercase.
    static func lowercaseNames(_ raw: UnsafeMutableRawBufferPointer, records: Int) {
        var position = lowercase(raw, at: 12) + 4
        for _ in 0..<records {
            let afterName = lowercase(raw, at: position)
            let type = Int(raw[afterName]) << 8 | Int(raw[afterName + 1])
            let dataStart = afterName + 10
            switch type {
            case 2, 5, 12, 39: _ = lowercase(raw, at: dataStart)
            case 15: _ = lowercase(raw, at: dataStart + 2)
            case 33: _ = lowercase(raw, at: dataStart + 6)
            case 6: _ = lowercase(raw, at: lowercase(raw, at: dataStart))
            default: break
            }
            position = dataStart + (Int(raw[afterName + 8]) << 8 | Int(raw[afterName + 9]))
        }
    }

    /// Lowercases the in-place labels of a validated name; returns the offset past it.
    @inline(__always)
    static func lowercase(_ raw: UnsafeMutableRawBufferPointer, at start: Int) -> Int {
        var position = start
        while true {
            let length = Int(raw[position])
            if length == 0 { return position + 1 }
            if length & 0xC0 == 0xC0 { return position + 2 }
            for index in (position + 1)..<(position + 1 + length) {
                let byte = raw[index]
                if byte >= 0x41 && byte <= 0x5A { raw[index] = byte | 0x20 }
            }
            position += 1 + length
        }
    }
}
