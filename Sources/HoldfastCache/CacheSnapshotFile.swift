// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The on-disk cache snapshot: one file, written atomically, read in one go.
///
/// Format (all integers little-endian):
/// ```
/// header (40 bytes): magic "HFCACHE\x1A" · version u32 (=2; 1 is read too) · header length u32 (=40)
///                    · entry count u64 · payload length u64 · payload checksum u64
/// entry  (24 bytes + variable): stored-at wall clock, ms since 1970 i64 · TTL s u32
///                    · type u16 · class u16 · rcode u16 · flags u8 (1 = DO, 2 = negative)
///                    · question name length u8 · TTL offset count u16 · answer length u16
///                    · offsets (u16 each) · answer bytes (StoredAnswer.bytes; the key's
///                      name is the answer's question)
/// holds  (version 2 only, after the last entry): see `SnapshotHolds.swift`
/// ```
/// The checksum is a 64-bit multiply/xor-shift hash over the payload's 64-bit words. Reading
/// validates everything, so a damaged file yields a `SnapshotError`, never a bad entry.
public enum CacheSnapshotFile {
    static let magic: [UInt8] = [0x48, 0x46, 0x43, 0x41, 0x43, 0x48, 0x45, 0x1A]
    static let version: UInt32 = 2
    /// The format before holds were kept; still read (its files have no holds block).
    static let versionWithoutHolds: UInt32 = 1
    static let headerLength = 40
    static let entryHeaderLength = 24
    static let maximumAnswerLength = 16_384

    /// Writes the snapshot atomically (temporary file in the same directory, fsync, rename,
    /// fsync of the directory). `wallClockNow` is seconds since 1970.
    public static func write(_ snapshot: CacheSnapshot, to path: String, wallClockNow: Double) throws(SnapshotError) {
        try SnapshotIO.replaceAtomically(path, with: encode(snapshot, wallClockNow: wallClockNow))
    }

    /// Reads a snapshot, ageing entries by the wall-clock time since they were stored.
    /// A missing file throws `.missing`; anything damaged or foreign throws another case.
    public static func read(from path: String, wallClockNow: Double) throws(SnapshotError) -> CacheSnapshot {
        try decode(SnapshotIO.readAll(path), wallClockNow: wallClockNow)
    }

    static func milliseconds(_ seconds: Double) -> Int64 {
        let millis = (seconds * 1000).rounded()
        guard millis.isFinite else { return 0 }
        return Int64(max(-9.0e18, min(9.0e18, millis)))
    }

    // MARK: Encoding

    static func encode(_ snapshot: CacheSnapshot, wallClockNow: Double) -> [UInt8] {
        let now = milliseconds(wallClockNow)
        let entries = snapshot.entries.filter { entry in
            entry.key.nameStart == 12 && entry.key.bytes.count <= maximumAnswerLength && entry.ttlOffsets.count <= 0xFFFF
        }
        let holds = encodeHolds(snapshot.holds, now: now)
        var size = headerLength + holds.count
        for entry in entries { size += entryHeaderLength + 2 * entry.ttlOffsets.count + entry.key.bytes.count }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = headerLength
            for entry in entries {
                raw.storeBytes(of: (now &- entry.ageMilliseconds).littleEndian, toByteOffset: offset, as: Int64.self)
                raw.storeBytes(of: entry.ttlSeconds.littleEndian, toByteOffset: offset + 8, as: UInt32.self)
                raw.storeBytes(of: entry.key.type.littleEndian, toByteOffset: offset + 12, as: UInt16.self)
                raw.storeBytes(of: entry.key.qclass.littleEndian, toByteOffset: offset + 14, as: UInt16.self)
                raw.storeBytes(of: entry.rcode.littleEndian, toByteOffset: offset + 16, as: UInt16.self)
                raw[offset + 18] = (entry.key.dnssecOK ? 1 : 0) | (entry.isNegative ? 2 : 0)
                raw[offset + 19] = entry.key.nameLength
                raw.storeBytes(of: UInt16(entry.ttlOffsets.count).littleEndian, toByteOffset: offset + 20, as: UInt16.self)
                raw.storeBytes(of: UInt16(entry.key.bytes.count).littleEndian, toByteOffset: offset + 22, as: UInt16.self)
                offset += entryHeaderLength
                for ttlOffset in entry.ttlOffsets {
                    raw.storeBytes(of: ttlOffset.littleEndian, toByteOffset: offset, as: UInt16.self)
                    offset += 2
                }
                entry.key.bytes.withUnsafeBytes { answer in
                    UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + answer.count)]).copyMemory(from: answer)
                }
                offset += entry.key.bytes.count
            }
            holds.withUnsafeBytes { block in
                UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + block.count)]).copyMemory(from: block)
            }
            for index in 0..<8 { raw[index] = magic[index] }
            raw.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: UInt32(headerLength).littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: UInt64(entries.count).littleEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: UInt64(size - headerLength).littleEndian, toByteOffset: 24, as: UInt64.self)
            let sum = checksum(UnsafeRawBufferPointer(rebasing: raw[headerLength..<size]))
            raw.storeBytes(of: sum.littleEndian, toByteOffset: 32, as: UInt64.self)
            count = size
        }
    }

    /// 64-bit words mixed by multiply and xor-shift (each step is a bijection, so any change
    /// confined to one word always changes the result); the tail bytes and length last.
    static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var offset = 0
        let wordEnd = buffer.count & ~7
        while offset < wordEnd {
            hash ^= UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            hash &*= 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            offset += 8
        }
        while offset < buffer.count {
            hash ^= UInt64(buffer[offset])
            hash &*= 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            offset += 1
        }
        hash ^= UInt64(buffer.count)
        hash &*= 0x9E37_79B9_7F4A_7C15
        return hash ^ (hash >> 32)
    }
}
