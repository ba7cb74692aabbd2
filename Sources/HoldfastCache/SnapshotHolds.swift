// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// A hold of the collapse guard (or an operator's) as the cache file keeps it: the held
/// positive answer and the hold's times, relative to the moment the snapshot was taken (the
/// file stores them as wall-clock milliseconds, like the entries).
public struct SnapshotHold: Sendable {
    public var key: CacheKey
    public var answer: StoredAnswer
    /// Milliseconds from the snapshot until the held answer's TTL ran out (negative: before it).
    public var positiveExpiresInMs: Int64
    /// Milliseconds before the snapshot that the hold began.
    public var sinceAgoMs: Int64
    /// Operator holds: milliseconds from the snapshot until they end.
    public var operatorUntilInMs: Int64?
    /// Milliseconds before the snapshot that upstream was last asked.
    public var checkedAgoMs: Int64
    public var served: UInt64
    public var isOperator: Bool
    /// False: a hold that ended, remembered so the name is not held again until it had data.
    public var active: Bool
    public var upstreamNow: String?

    public init(key: CacheKey, answer: StoredAnswer, positiveExpiresInMs: Int64, sinceAgoMs: Int64, operatorUntilInMs: Int64?,
                checkedAgoMs: Int64, served: UInt64, isOperator: Bool, active: Bool, upstreamNow: String?) {
        self.key = key
        self.answer = answer
        self.positiveExpiresInMs = positiveExpiresInMs
        self.sinceAgoMs = sinceAgoMs
        self.operatorUntilInMs = operatorUntilInMs
        self.checkedAgoMs = checkedAgoMs
        self.served = served
        self.isOperator = isOperator
        self.active = active
        self.upstreamNow = upstreamNow
    }
}

/// The holds block of a version 2 file, after the last entry:
/// ```
/// count u32, then per hold (56 bytes + variable): answer expires i64 · hold since i64 ·
///   operator until i64 (i64.min: none) · last checked i64 (wall-clock ms since 1970 each) ·
///   answers served u64 · minimum TTL u32 · type u16 · class u16 · flags u8 (1 DO, 2 active,
///   4 operator) · question name length u8 · upstream-now length u8 (255: none) · 0 u8 ·
///   TTL offset count u16 · answer length u16 · upstream-now UTF-8 · offsets · answer bytes
/// ```
extension CacheSnapshotFile {
    static let holdHeaderLength = 56

    static func encodeHolds(_ holds: [SnapshotHold], now: Int64) -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        let kept = holds.filter { hold in
            hold.answer.bytes.count <= maximumAnswerLength && hold.answer.ttlOffsets.count <= 0xFFFF
                && hold.answer.questionNameLength <= 255 && hold.answer.bytes.count >= 12 + hold.answer.questionNameLength + 4
        }
        put(UInt32(kept.count))
        for hold in kept {
            let now64 = now
            let note = hold.upstreamNow.map { Array($0.utf8.prefix(254)) }
            put(now64 &+ hold.positiveExpiresInMs)
            put(now64 &- hold.sinceAgoMs)
            put(hold.operatorUntilInMs.map { now64 &+ $0 } ?? Int64.min)
            put(now64 &- hold.checkedAgoMs)
            put(hold.served)
            put(hold.answer.minimumTTL)
            put(hold.key.type.rawValue)
            put(hold.key.qclass.rawValue)
            out.append((hold.key.dnssecOK ? 1 : 0) | (hold.active ? 2 : 0) | (hold.isOperator ? 4 : 0))
            out.append(UInt8(hold.answer.questionNameLength))
            out.append(note.map { UInt8($0.count) } ?? 255)
            out.append(0)
            put(UInt16(hold.answer.ttlOffsets.count))
            put(UInt16(hold.answer.bytes.count))
            out.append(contentsOf: note ?? [])
            for offset in hold.answer.ttlOffsets { put(offset) }
            out.append(contentsOf: hold.answer.bytes)
        }
        return out
    }

    /// Parses the holds block that starts at `offset`; it must end exactly at the payload's end.
    static func decodeHolds(_ payload: UnsafeRawBufferPointer, from start: Int, now: Int64) throws(SnapshotError) -> [SnapshotHold] {
        var offset = start
        guard payload.count - offset >= 4 else { throw .corrupt("holds: truncated count") }
        let count = Int(UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        offset += 4
        guard count <= (payload.count - offset) / holdHeaderLength else { throw .corrupt("holds: count \(count)") }
        var holds: [SnapshotHold] = []
        for number in 0..<count {
            func bad(_ reason: String) -> SnapshotError { .corrupt("hold \(number): \(reason)") }
            guard payload.count - offset >= holdHeaderLength else { throw bad("truncated header") }
            func i64(_ at: Int) -> Int64 { Int64(littleEndian: payload.loadUnaligned(fromByteOffset: offset + at, as: Int64.self)) }
            func u16(_ at: Int) -> UInt16 { UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: offset + at, as: UInt16.self)) }
            let expires = i64(0), since = i64(8), until = i64(16), checked = i64(24)
            let served = UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 32, as: UInt64.self))
            let minimumTTL = UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 40, as: UInt32.self))
            let type = u16(44), qclass = u16(46)
            let flags = payload[offset + 48]
            let nameLength = Int(payload[offset + 49])
            let noteLength = Int(payload[offset + 50])
            let offsetCount = Int(u16(52))
            let answerLength = Int(u16(54))
            offset += holdHeaderLength
            guard flags & ~7 == 0 else { throw bad("flags \(flags)") }
            guard answerLength <= maximumAnswerLength, answerLength >= 12 + nameLength + 4 else { throw bad("answer length \(answerLength)") }
            let variable = (noteLength == 255 ? 0 : noteLength) + offsetCount * 2 + answerLength
            guard payload.count - offset >= variable else { throw bad("truncated body") }
            var note: String?
            if noteLength != 255 {
                note = String(decoding: UnsafeRawBufferPointer(rebasing: payload[offset..<(offset + noteLength)]), as: UTF8.self)
                offset += noteLength
            }
            var ttlOffsets: [UInt16] = []
            for index in 0..<offsetCount { ttlOffsets.append(u16(2 * index)) }
            offset += offsetCount * 2
            let answer = UnsafeRawBufferPointer(rebasing: payload[offset..<(offset + answerLength)])
            guard answer[4] == 0, answer[5] == 1, answer[3] & 0x0F == 0 else { throw bad("header") }
            guard NameBytes.isValidName(answer, start: 12, length: nameLength) else { throw bad("question name") }
            let questionType = UInt16(answer[12 + nameLength]) << 8 | UInt16(answer[13 + nameLength])
            let questionClass = UInt16(answer[14 + nameLength]) << 8 | UInt16(answer[15 + nameLength])
            guard questionType == type, questionClass == qclass else { throw bad("question does not match key") }
            guard AnswerValidation.isValid(answer, nameLength: nameLength, ttlOffsets: ttlOffsets) else { throw bad("answer does not parse") }
            let bytes = Array(answer)
            offset += answerLength
            let shardKey = ShardKey(bytes: bytes, nameStart: 12, nameLength: UInt8(nameLength), type: type, qclass: qclass, dnssecOK: flags & 1 != 0)
            guard let key = shardKey.cacheKey else { throw bad("question name") }
            holds.append(SnapshotHold(
                key: key,
                answer: StoredAnswer(bytes: bytes, ttlOffsets: ttlOffsets, questionNameLength: nameLength, minimumTTL: minimumTTL, rcode: .noError),
                positiveExpiresInMs: expires &- now, sinceAgoMs: now &- since, operatorUntilInMs: until == Int64.min ? nil : until &- now,
                checkedAgoMs: now &- checked, served: served, isOperator: flags & 4 != 0, active: flags & 2 != 0, upstreamNow: note))
        }
        guard offset == payload.count else { throw .corrupt("\(payload.count - offset) bytes after the last hold") }
        return holds
    }
}
