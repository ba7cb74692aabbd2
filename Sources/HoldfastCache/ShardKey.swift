// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// The key as a shard stores it: the name is not copied but read from `bytes` — the stored
/// answer's own question (at offset 12) for entries, the caller's `DNSName` bytes for lookups.
/// 16 bytes; equality and hashing are ASCII case-insensitive over the name, like `DNSName`.
struct ShardKey: Hashable {
    /// Bytes holding the name at `nameStart` (a stored answer, or a name's wire bytes).
    var bytes: [UInt8]
    var nameStart: UInt8
    var nameLength: UInt8
    var type: UInt16
    var qclass: UInt16
    var dnssecOK: Bool

    static let empty = ShardKey(bytes: [], nameStart: 0, nameLength: 0, type: 0, qclass: 0, dnssecOK: false)

    init(bytes: [UInt8], nameStart: UInt8, nameLength: UInt8, type: UInt16, qclass: UInt16, dnssecOK: Bool) {
        self.bytes = bytes
        self.nameStart = nameStart
        self.nameLength = nameLength
        self.type = type
        self.qclass = qclass
        self.dnssecOK = dnssecOK
    }

    /// A lookup key borrowing the name's bytes; nil for an impossible name (over 255 bytes).
    init?(_ key: CacheKey) {
        let wire = key.name.wireBytes
        guard wire.count <= 255, !wire.isEmpty else { return nil }
        self.init(bytes: wire, nameStart: 0, nameLength: UInt8(wire.count), type: key.type.rawValue,
                  qclass: key.qclass.rawValue, dnssecOK: key.dnssecOK)
    }

    /// A stored key whose name is the question of `answer` (bytes 12..<12+questionNameLength).
    init(answer: StoredAnswer, type: UInt16, qclass: UInt16, dnssecOK: Bool) {
        self.init(bytes: answer.bytes, nameStart: 12, nameLength: UInt8(truncatingIfNeeded: answer.questionNameLength),
                  type: type, qclass: qclass, dnssecOK: dnssecOK)
    }

    /// Rebuilds the public key (allocates; cold paths only).
    var cacheKey: CacheKey? {
        let start = Int(nameStart)
        guard let name = try? DNSName(wireBytes: Array(bytes[start..<(start + Int(nameLength))])) else { return nil }
        return CacheKey(name: name, type: DNSType(type), qclass: DNSClass(qclass), dnssecOK: dnssecOK)
    }

    /// True when the name part equals `name` (case-insensitive).
    func hasName(_ name: [UInt8]) -> Bool {
        guard name.count == Int(nameLength) else { return false }
        return bytes.withUnsafeBufferPointer { mine in
            name.withUnsafeBufferPointer { theirs in
                NameBytes.equalIgnoringCase(mine, Int(nameStart), theirs, 0, Int(nameLength))
            }
        }
    }

    static func == (lhs: ShardKey, rhs: ShardKey) -> Bool {
        guard lhs.nameLength == rhs.nameLength, lhs.type == rhs.type, lhs.qclass == rhs.qclass,
              lhs.dnssecOK == rhs.dnssecOK else { return false }
        return lhs.bytes.withUnsafeBufferPointer { left in
            rhs.bytes.withUnsafeBufferPointer { right in
                NameBytes.equalIgnoringCase(left, Int(lhs.nameStart), right, Int(rhs.nameStart), Int(lhs.nameLength))
            }
        }
    }

    func hash(into hasher: inout Hasher) {
        // Seeded SipHash over the lower-cased name, 8 bytes at a time (no copy, no
        // allocation), so crafted names cannot collide on purpose.
        let start = Int(nameStart)
        bytes.withUnsafeBytes { raw in
            let end = min(start + Int(nameLength), raw.count)
            var offset = start
            while offset + 8 <= end {
                hasher.combine(NameBytes.lowerWord(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < end {
                tail |= UInt64(NameBytes.lower(raw[offset])) << shift
                shift += 8
                offset += 1
            }
            hasher.combine(tail)
        }
        hasher.combine(UInt64(type) << 32 | UInt64(qclass) << 16 | (dnssecOK ? 1 : 0) << 8 | UInt64(nameLength))
    }
}

/// Byte helpers for names in wire form.
enum NameBytes {
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte }

    /// ASCII lower case of 8 bytes at once (bytes ≥ 0x80 untouched).
    @inline(__always)
    static func lowerWord(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let low7 = word & ~high
        let atLeastA = low7 &+ (0x80 - 0x41) &* ones
        let pastZ = low7 &+ (0x80 - 0x5B) &* ones
        let upper = atLeastA & ~pastZ & ~word & high
        return word | (upper >> 2)
    }

    @inline(__always)
    static func equalIgnoringCase(
        _ left: UnsafeBufferPointer<UInt8>, _ leftStart: Int, _ right: UnsafeBufferPointer<UInt8>, _ rightStart: Int, _ length: Int
    ) -> Bool {
        guard leftStart + length <= left.count, rightStart + length <= right.count else { return false }
        let leftRaw = UnsafeRawBufferPointer(left)
        let rightRaw = UnsafeRawBufferPointer(right)
        var index = 0
        while index + 8 <= length {
            let a = leftRaw.loadUnaligned(fromByteOffset: leftStart + index, as: UInt64.self)
            let b = rightRaw.loadUnaligned(fromByteOffset: rightStart + index, as: UInt64.self)
            if a != b, lowerWord(a) != lowerWord(b) { return false }
            index += 8
        }
        while index < length {
            if lower(left[leftStart + index]) != lower(right[rightStart + index]) { return false }
            index += 1
        }
        return true
    }

    /// Picks the shard (not the in-shard hash): 8 bytes at a time with every byte OR 0x20 —
    /// names equal ignoring ASCII case give equal words — mixed by multiply and xor-shift.
    @inline(__always)
    static func shardHash(_ bytes: [UInt8], start: Int, length: Int) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            let end = min(start + length, raw.count)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(truncatingIfNeeded: length)
            var offset = start
            while offset + 8 <= end {
                hash ^= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) | 0x2020_2020_2020_2020
                hash &*= 0x9E37_79B9_7F4A_7C15
                hash ^= hash >> 29
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < end {
                tail |= UInt64(raw[offset] | 0x20) << shift
                shift += 8
                offset += 1
            }
            hash ^= tail
            hash &*= 0x9E37_79B9_7F4A_7C15
            return hash ^ (hash >> 32)
        }
    }

    /// True when `length` bytes at `start` are exactly one valid uncompressed name.
    static func isValidName(_ bytes: UnsafeRawBufferPointer, start: Int, length: Int) -> Bool {
        guard length >= 1, length <= 255, start + length <= bytes.count else { return false }
        return DNSNameWalk.end(of: bytes, at: start, limit: start + length, pointers: false) == start + length
    }
}
