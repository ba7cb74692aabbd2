// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// Checks a restored answer without decoding it into a `DNSMessage` (no allocation): the
/// same guarantees as `StoredAnswer.isWellFormed` — one uncompressed question at offset 12,
/// every record framed exactly to the end, names valid (compression pointers strictly
/// backwards), typed RDATA consistent, no OPT, and `ttlOffsets` naming every record's TTL.
enum AnswerValidation {
    static func isValid(_ raw: UnsafeRawBufferPointer, nameLength: Int, ttlOffsets: [UInt16]) -> Bool {
        let end = raw.count
        guard end >= 12 + nameLength + 4, raw[4] == 0, raw[5] == 1,
              NameBytes.isValidName(raw, start: 12, length: nameLength) else { return false }
        let records = Int(u16(raw, 6)) + Int(u16(raw, 8)) + Int(u16(raw, 10))
        guard records == ttlOffsets.count else { return false }
        var position = 12 + nameLength + 4
        for record in 0..<records {
            guard let afterName = skipName(raw, at: position, limit: end), afterName + 10 <= end else { return false }
            let type = u16(raw, afterName)
            guard type != 41, Int(ttlOffsets[record]) == afterName + 4 else { return false }
            let dataStart = afterName + 10
            let dataEnd = dataStart + Int(u16(raw, afterName + 8))
            guard dataEnd <= end, isValidData(raw, type: type, start: dataStart, end: dataEnd) else { return false }
            position = dataEnd
        }
        return position == end
    }

    private static func isValidData(_ raw: UnsafeRawBufferPointer, type: UInt16, start: Int, end: Int) -> Bool {
        switch type {
        case 1: return end - start == 4
        case 28: return end - start == 16
        case 2, 5, 12, 39: return skipName(raw, at: start, limit: end) == end
        case 15: return end - start >= 3 && skipName(raw, at: start + 2, limit: end) == end
        case 33: return end - start >= 7 && skipName(raw, at: start + 6, limit: end) == end
        case 6:
            guard let afterMname = skipName(raw, at: start, limit: end),
                  let afterRname = skipName(raw, at: afterMname, limit: end) else { return false }
            return afterRname + 20 == end
        case 16:
            guard end > start else { return false }
            var position = start
            while position < end { position += 1 + Int(raw[position]) }
            return position == end
        default: return true
        }
    }

    /// The position after the name at `start` (after its pointer, if compressed), or nil.
    /// In-place labels before the first pointer must end by `limit`.
    /// The offset past the (possibly compressed) name at `start`, whose first labels end by
    /// `limit`; pointers strictly backwards, never into the header. Nil when it is not a name.
    static func skipName(_ raw: UnsafeRawBufferPointer, at start: Int, limit: Int) -> Int? {
        DNSNameWalk.end(of: raw, at: start, limit: limit, minimumPointerTarget: 12)
    }

    @inline(__always)
    private static func u16(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(raw[offset]) << 8 | UInt16(raw[offset + 1])
    }
}
