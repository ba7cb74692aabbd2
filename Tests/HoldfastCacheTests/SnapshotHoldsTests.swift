// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Testing
@testable import HoldfastCache

/// Version 2 of the cache file: the resolver's holds after the entries; version 1 files (no
/// holds block) still load.
@Suite struct SnapshotHoldsTests {
    static func hold(_ cache: DNSCache, active: Bool = true, isOperator: Bool = false) throws -> SnapshotHold {
        let hit = try #require(cache.peek(Fixture.key("fresh.test"), now: 0).hit)
        return SnapshotHold(
            key: Fixture.key("fresh.test"), answer: hit.answer, positiveExpiresInMs: -60_000, sinceAgoMs: 30_000,
            operatorUntilInMs: isOperator ? 7_200_000 : nil, checkedAgoMs: 5_000, served: 42, isOperator: isOperator,
            active: active, upstreamNow: "NOERROR, no data")
    }

    @Test func holdsRoundTripAgedByWallClock() throws {
        let cache = SnapshotTests.populated()
        var snapshot = cache.snapshot(now: 0)
        snapshot.holds = [try Self.hold(cache), try Self.hold(cache, active: false, isOperator: true)]
        let bytes = CacheSnapshotFile.encode(snapshot, wallClockNow: SnapshotTests.wall)
        let loaded = try CacheSnapshotFile.decode(bytes, wallClockNow: SnapshotTests.wall + 100)
        #expect(loaded.count == 4)
        #expect(loaded.holds.count == 2)
        let first = try #require(loaded.holds.first)
        #expect(first.key == Fixture.key("fresh.test"))
        #expect(first.answer.bytes == snapshot.holds[0].answer.bytes)
        #expect(first.answer.ttlOffsets == snapshot.holds[0].answer.ttlOffsets)
        #expect(first.positiveExpiresInMs == -160_000)
        #expect(first.sinceAgoMs == 130_000)
        #expect(first.checkedAgoMs == 105_000)
        #expect(first.operatorUntilInMs == nil)
        #expect(first.served == 42 && first.active && !first.isOperator)
        #expect(first.upstreamNow == "NOERROR, no data")
        let second = try #require(loaded.holds.last)
        #expect(second.operatorUntilInMs == 7_100_000)
        #expect(!second.active && second.isOperator)
    }

    @Test func aVersion1FileStillLoads() throws {
        let v2 = CacheSnapshotFile.encode(SnapshotTests.populated().snapshot(now: 0), wallClockNow: SnapshotTests.wall)
        // Version 1 is version 2 without the holds block (an empty one is a zero count).
        var v1 = Array(v2.dropLast(4))
        v1[8] = 1
        let payload = UInt64(v1.count - 40)
        withUnsafeBytes(of: payload.littleEndian) { for index in 0..<8 { v1[24 + index] = $0[index] } }
        v1 = SnapshotTests.resealed(v1)
        let loaded = try CacheSnapshotFile.decode(v1, wallClockNow: SnapshotTests.wall)
        #expect(loaded.count == 4)
        #expect(loaded.holds.isEmpty)
        // The same bytes claiming version 2 lack the holds block: an error, not a crash.
        var claimed = v1
        claimed[8] = 2
        #expect(throws: SnapshotError.self) { try CacheSnapshotFile.decode(SnapshotTests.resealed(claimed), wallClockNow: SnapshotTests.wall) }
    }

    @Test func aDamagedHoldIsATypedError() throws {
        let cache = SnapshotTests.populated()
        var snapshot = cache.snapshot(now: 0)
        snapshot.holds = [try Self.hold(cache)]
        var bytes = CacheSnapshotFile.encode(snapshot, wallClockNow: SnapshotTests.wall)
        // The hold's type field (u16 at 44 into its header, after the 4-byte count).
        let holdStart = bytes.count - (56 + "NOERROR, no data".utf8.count + 2 * snapshot.holds[0].answer.ttlOffsets.count
            + snapshot.holds[0].answer.bytes.count)
        bytes[holdStart + 44] ^= 0x01
        #expect(throws: SnapshotError.corrupt("hold 0: question does not match key")) {
            try CacheSnapshotFile.decode(SnapshotTests.resealed(bytes), wallClockNow: SnapshotTests.wall)
        }
        var truncated = Array(bytes.dropLast(3))
        let payload = UInt64(truncated.count - 40)
        withUnsafeBytes(of: payload.littleEndian) { for index in 0..<8 { truncated[24 + index] = $0[index] } }
        #expect(throws: SnapshotError.self) { try CacheSnapshotFile.decode(SnapshotTests.resealed(truncated), wallClockNow: SnapshotTests.wall) }
    }
}
