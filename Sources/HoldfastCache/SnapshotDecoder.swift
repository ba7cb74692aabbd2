// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

extension CacheSnapshotFile {
    /// Parses and validates a whole snapshot file. Never traps on any input.
    static func decode(_ bytes: [UInt8], wallClockNow: Double) throws(SnapshotError) -> CacheSnapshot {
        let now = milliseconds(wallClockNow)
        let result: Result<CacheSnapshot, SnapshotError> = bytes.withUnsafeBytes { raw in
            do throws(SnapshotError) {
                return .success(try decodeSnapshot(raw, now: now))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func decodeSnapshot(_ raw: UnsafeRawBufferPointer, now: Int64) throws(SnapshotError) -> CacheSnapshot {
        let prefix = min(raw.count, magic.count)
        for index in 0..<prefix where raw[index] != magic[index] { throw .foreign }
        guard raw.count >= 12 else { throw .truncated(expected: headerLength, actual: raw.count) }
        let fileVersion = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard fileVersion == version || fileVersion == versionWithoutHolds else { throw .unsupportedVersion(fileVersion) }
        guard raw.count >= headerLength else { throw .truncated(expected: headerLength, actual: raw.count) }
        let declaredHeader = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard declaredHeader == UInt32(headerLength) else { throw .corrupt("header length \(declaredHeader)") }
        let entryCount = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let payloadLength = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let storedChecksum = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        let actualPayload = raw.count - headerLength
        guard payloadLength <= UInt64(Int.max - headerLength) else { throw .corrupt("payload length \(payloadLength)") }
        let expectedPayload = Int(payloadLength)
        if actualPayload < expectedPayload {
            throw .truncated(expected: headerLength + expectedPayload, actual: raw.count)
        }
        guard actualPayload == expectedPayload else { throw .corrupt("\(actualPayload - expectedPayload) trailing bytes") }
        let payload = UnsafeRawBufferPointer(rebasing: raw[headerLength...])
        guard checksum(payload) == storedChecksum else { throw .checksumMismatch }
        guard entryCount <= UInt64(expectedPayload / entryHeaderLength) else { throw .corrupt("entry count \(entryCount)") }

        var entries: [CacheSnapshot.Entry] = []
        entries.reserveCapacity(Int(entryCount))
        var singles: [UInt16: [UInt16]] = [:]
        var interner = OffsetInterner()
        var offset = 0
        for number in 0..<Int(entryCount) {
            func bad(_ reason: String) -> SnapshotError { .corrupt("entry \(number): \(reason)") }
            guard payload.count - offset >= entryHeaderLength else { throw bad("truncated header") }
            let storedAt = Int64(littleEndian: payload.loadUnaligned(fromByteOffset: offset, as: Int64.self))
            let ttl = UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
            let type = UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 12, as: UInt16.self))
            let qclass = UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 14, as: UInt16.self))
            let rcode = UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 16, as: UInt16.self))
            let flags = payload[offset + 18]
            let nameLength = Int(payload[offset + 19])
            let offsetCount = Int(UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 20, as: UInt16.self)))
            let answerLength = Int(UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 22, as: UInt16.self)))
            offset += entryHeaderLength
            guard flags & ~3 == 0 else { throw bad("flags \(flags)") }
            guard rcode == 0 || rcode == 3 else { throw bad("rcode \(rcode)") }
            guard answerLength <= maximumAnswerLength, answerLength >= 12 + nameLength + 4 else { throw bad("answer length \(answerLength)") }
            guard payload.count - offset >= offsetCount * 2 + answerLength else { throw bad("truncated body") }
            let answerStart = offset + offsetCount * 2
            let answer = UnsafeRawBufferPointer(rebasing: payload[answerStart..<(answerStart + answerLength)])
            // Header: one question, rcode as declared; the question is the key.
            guard answer[4] == 0, answer[5] == 1, UInt16(answer[3]) & DNSHeader.Flag.rcode == rcode & DNSHeader.Flag.rcode else { throw bad("header") }
            guard NameBytes.isValidName(answer, start: 12, length: nameLength) else { throw bad("question name") }
            let questionType = UInt16(answer[12 + nameLength]) << 8 | UInt16(answer[13 + nameLength])
            let questionClass = UInt16(answer[14 + nameLength]) << 8 | UInt16(answer[15 + nameLength])
            guard questionType == type, questionClass == qclass else { throw bad("question does not match key") }
            var ttlOffsets: [UInt16]
            if offsetCount == 1 {
                let only = UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                if let shared = singles[only] {
                    ttlOffsets = shared
                } else {
                    ttlOffsets = [only]
                    if singles.count < 4096 { singles[only] = ttlOffsets }
                }
            } else {
                ttlOffsets = []
                ttlOffsets.reserveCapacity(offsetCount)
                for index in 0..<offsetCount {
                    ttlOffsets.append(UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: offset + 2 * index, as: UInt16.self)))
                }
                ttlOffsets = interner.intern(ttlOffsets)
            }
            guard AnswerValidation.isValid(answer, nameLength: nameLength, ttlOffsets: ttlOffsets) else {
                throw bad("answer does not parse")
            }
            let answerBytes = [UInt8](unsafeUninitializedCapacity: answerLength) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: answer)
                count = answerLength
            }
            offset = answerStart + answerLength
            let key = ShardKey(bytes: answerBytes, nameStart: 12, nameLength: UInt8(nameLength), type: type, qclass: qclass,
                               dnssecOK: flags & 1 != 0)
            let entry = CacheSnapshot.Entry(key: key, ttlOffsets: ttlOffsets, ageMilliseconds: now &- storedAt,
                                            ttlSeconds: ttl, rcode: rcode, isNegative: flags & 2 != 0)
            entries.append(entry)
        }
        var snapshot = CacheSnapshot(entries: entries)
        if fileVersion == versionWithoutHolds {
            guard offset == payload.count else { throw .corrupt("\(payload.count - offset) bytes after the last entry") }
        } else {
            snapshot.holds = try decodeHolds(payload, from: offset, now: now)
        }
        return snapshot
    }
}
