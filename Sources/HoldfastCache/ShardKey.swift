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
        // Seeded SipHash over the lower-cased name (a stack buffer, no allocation), so crafted
        // names cannot collide on purpose.
        let start = Int(nameStart)
        let length = Int(nameLength)
        bytes.withUnsafeBufferPointer { source in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { lowered in
                for index in 0..<length { lowered[index] = NameBytes.lower(source[start + index]) }
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(lowered)[0..<length]))
            }
        }
        hasher.combine(type)
        hasher.combine(qclass)
        hasher.combine(dnssecOK)
    }
}

/// Byte helpers for names in wire form.
enum NameBytes {
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte }

    @inline(__always)
    static func equalIgnoringCase(
        _ left: UnsafeBufferPointer<UInt8>, _ leftStart: Int, _ right: UnsafeBufferPointer<UInt8>, _ rightStart: Int, _ length: Int
    ) -> Bool {
        guard leftStart + length <= left.count, rightStart + length <= right.count else { return false }
        for index in 0..<length where lower(left[leftStart + index]) != lower(right[rightStart + index]) {
            return false
        }
        return true
    }

    /// FNV-1a 64 over the lower-cased name: picks the shard (not the in-shard hash).
    static func shardHash(_ bytes: [UInt8], start: Int, length: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        bytes.withUnsafeBufferPointer { buffer in
            for index in start..<min(start + length, buffer.count) {
                hash = (hash ^ UInt64(lower(buffer[index]))) &* 0x0000_0100_0000_01B3
            }
        }
        return hash
    }

    /// True when `length` bytes at `start` are exactly one valid uncompressed name.
    static func isValidName(_ bytes: UnsafeRawBufferPointer, start: Int, length: Int) -> Bool {
        guard length >= 1, length <= 255, start + length <= bytes.count else { return false }
        var index = start
        let end = start + length
        while index < end {
            let label = Int(bytes[index])
            if label == 0 { return index + 1 == end }
            guard label <= 63 else { return false }
            index += 1 + label
        }
        return false
    }
}
