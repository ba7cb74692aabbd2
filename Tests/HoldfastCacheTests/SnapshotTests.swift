// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Glibc
import Testing
@testable import HoldfastCache

/// A private temporary directory removed at the end.
final class TemporaryDirectory {
    let path: String
    init() {
        var template = Array("/tmp/holdfast-cache-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, let made = mkdtemp(base) else { return "/tmp/holdfast-cache-failed" }
            return String(cString: made)
        }
    }
    func file(_ name: String) -> String { path + "/" + name }
    deinit {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(directory)
        }
        rmdir(path)
    }
}

@Suite struct SnapshotTests {
    static let wall: Double = 1_800_000_000

    /// A cache with a fresh positive, a DO-keyed, a negative and a stale entry, 10 s after start.
    static func populated() -> DNSCache {
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 100, staleMaxAgeSeconds: 3600, shardCount: 4), minimumEntriesPerShard: 1)
        cache.store(Fixture.key("fresh.test"), message: Fixture.answer("fresh.test", ttls: [300]), now: 0)
        cache.store(Fixture.key("Signed.test", dnssecOK: true), message: Fixture.answer("Signed.test", ttls: [600, 700]), now: 0)
        cache.store(Fixture.key("gone.test"), message: Fixture.negative("gone.test", rcode: .nxDomain, soaTTL: 900, minimum: 900), now: 0)
        cache.store(Fixture.key("old.test"), message: Fixture.answer("old.test", ttls: [5]), now: 0)
        return cache
    }

    @Test func roundTripAgesEntriesByWallClock() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("cache.bin")
        let snapshot = Self.populated().snapshot(now: 10_000)
        #expect(snapshot.count == 4)
        try CacheSnapshotFile.write(snapshot, to: path, wallClockNow: Self.wall)
        // 100 s later, in a new process whose monotonic clock started elsewhere.
        let loaded = try CacheSnapshotFile.read(from: path, wallClockNow: Self.wall + 100)
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 100, staleMaxAgeSeconds: 3600, shardCount: 3), minimumEntriesPerShard: 1)
        #expect(cache.restore(loaded, now: 5_000) == 4)

        let fresh = cache.lookup(Fixture.key("FRESH.test"), now: 5_000)
        #expect(fresh.isFresh)
        #expect(fresh.hit?.elapsedSeconds == 110)
        #expect(fresh.hit?.remainingSeconds == 190)
        let signed = try #require(cache.lookup(Fixture.key("signed.test", dnssecOK: true), now: 5_000).hit)
        #expect(Fixture.renderedTTLs(signed, name: "signed.test") == [490, 590])
        #expect(cache.lookup(Fixture.key("signed.test"), now: 5_000).isMiss)
        let negative = try #require(cache.lookup(Fixture.key("gone.test"), now: 5_000).hit)
        #expect(negative.isNegative)
        #expect(negative.answer.rcode == .nxDomain)
        #expect(cache.lookup(Fixture.key("old.test"), now: 5_000).expiredSeconds == 105)
    }

    @Test func entriesPastTheStaleWindowAreDroppedAtRestore() throws {
        let snapshot = Self.populated().snapshot(now: 10_000)
        let bytes = CacheSnapshotFile.encode(snapshot, wallClockNow: Self.wall)
        let loaded = try CacheSnapshotFile.decode(bytes, wallClockNow: Self.wall + 1000)  // 1010 s after storing
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 100, staleMaxAgeSeconds: 600, shardCount: 2), minimumEntriesPerShard: 1)
        #expect(cache.restore(loaded, now: 0) == 2)  // old.test (5 s) and fresh.test (300 s) are past 600 s of staleness
        #expect(cache.peek(Fixture.key("old.test"), now: 0).isMiss)
        #expect(cache.peek(Fixture.key("signed.test", dnssecOK: true), now: 0).isStale)
        #expect(cache.peek(Fixture.key("gone.test"), now: 0).isStale)
    }

    @Test func restoreKeepsLiveEntriesAndRespectsTheBound() throws {
        let snapshot = Self.populated().snapshot(now: 0)
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 2, shardCount: 1))
        cache.store(Fixture.key("fresh.test"), message: Fixture.answer("fresh.test", ttls: [30], address: 9), now: 0)
        cache.restore(snapshot, now: 0)
        #expect(cache.count == 2)
        #expect(cache.statistics.inserts == 1)
    }

    @Test func missingFileIsReportedAsMissing() {
        let directory = TemporaryDirectory()
        #expect(throws: SnapshotError.missing) { try CacheSnapshotFile.read(from: directory.file("none.bin"), wallClockNow: Self.wall) }
    }

    @Test func writeReplacesTheFileAndLeavesNoTemporary() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("cache.bin")
        try CacheSnapshotFile.write(Self.populated().snapshot(now: 0), to: path, wallClockNow: Self.wall)
        try CacheSnapshotFile.write(CacheSnapshot(), to: path, wallClockNow: Self.wall)
        #expect(try CacheSnapshotFile.read(from: path, wallClockNow: Self.wall).count == 0)
        #expect(access(path + ".tmp.\(getpid())", F_OK) != 0)
    }

    @Test func unwritableDirectoryIsAnIOError() {
        #expect(throws: SnapshotError.self) {
            try CacheSnapshotFile.write(CacheSnapshot(), to: "/nonexistent-holdfast-dir/cache.bin", wallClockNow: Self.wall)
        }
    }

    static func validFile() -> [UInt8] {
        CacheSnapshotFile.encode(populated().snapshot(now: 0), wallClockNow: wall)
    }

    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        guard copy.count >= 40 else { return copy }
        let sum = copy.withUnsafeBytes { CacheSnapshotFile.checksum(UnsafeRawBufferPointer(rebasing: $0[40...])) }
        withUnsafeBytes(of: sum.littleEndian) { for index in 0..<8 { copy[32 + index] = $0[index] } }
        return copy
    }

    enum Damage: String, CaseIterable { case empty, shortMagic, header, half, lastByte, garbage, foreign, version, checksum, trailing }

    @Test(arguments: Damage.allCases)
    func damagedFilesAreTypedErrors(damage: Damage) {
        let valid = Self.validFile()
        let bytes: [UInt8]
        let expected: SnapshotError?
        switch damage {
        case .empty: bytes = []; expected = .truncated(expected: 40, actual: 0)
        case .shortMagic: bytes = Array(valid.prefix(5)); expected = .truncated(expected: 40, actual: 5)
        case .header: bytes = Array(valid.prefix(30)); expected = .truncated(expected: 40, actual: 30)
        case .half: bytes = Array(valid.prefix(valid.count / 2)); expected = .truncated(expected: valid.count, actual: valid.count / 2)
        case .lastByte: bytes = Array(valid.dropLast()); expected = .truncated(expected: valid.count, actual: valid.count - 1)
        case .garbage: bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }; expected = .foreign
        case .foreign: bytes = Array("[cache]\nmax_entries = 5\n".utf8); expected = .foreign
        case .version:
            var copy = valid
            copy[8] = 3
            bytes = copy; expected = .unsupportedVersion(3)
        case .checksum:
            var copy = valid
            copy[valid.count - 3] ^= 0x40
            bytes = copy; expected = .checksumMismatch
        case .trailing: bytes = valid + [0]; expected = nil
        }
        do {
            _ = try CacheSnapshotFile.decode(bytes, wallClockNow: Self.wall)
            Issue.record("decoded a damaged file (\(damage))")
        } catch {
            if let expected { #expect(error == expected) }
            #expect(!error.description.isEmpty)
        }
    }

    /// Random mutations, with the checksum re-sealed so the entry validation itself is
    /// exercised: every outcome is a typed error or entries that are safe to serve.
    @Test func randomMutationsNeverProduceABadEntry() {
        let valid = Self.validFile()
        var generator = SplitMix(seed: 0x5EED)
        var decoded = 0
        for round in 0..<2000 {
            var bytes = valid
            let mutations = 1 + Int(generator.next() % 4)
            for _ in 0..<mutations {
                let position = 40 + Int(generator.next() % UInt64(bytes.count - 40))
                switch generator.next() % 3 {
                case 0: bytes[position] ^= UInt8(truncatingIfNeeded: 1 << (generator.next() % 8))
                case 1: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                default: bytes[position] = [0, 0xFF, 0x7F, 12, 255][Int(generator.next() % 5)]
                }
            }
            if round % 5 == 0 { bytes.removeLast(Int(generator.next() % 30)) }
            let input = round % 3 == 0 ? bytes : Self.resealed(bytes)
            guard let snapshot = try? CacheSnapshotFile.decode(input, wallClockNow: Self.wall) else { continue }
            decoded += 1
            for entry in snapshot.entries {
                let answer = entry.answer
                #expect(answer.isWellFormed)
                #expect(entry.cacheKey != nil)
                var output = [UInt8](repeating: 0, count: answer.maximumRenderedSize(edeCount: 1))
                output.withUnsafeMutableBytes { out in
                    [UInt8](repeating: 0x61, count: answer.questionNameLength).withUnsafeBytes { name in
                        _ = answer.render(into: out, id: 1, clientQuestionName: name, queryFlags: 0, clientEDNS: EDNS(),
                                          ttl: .countDown(elapsedSeconds: 3), extendedErrors: [3], maxSize: 1232)
                    }
                }
            }
            let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 10, shardCount: 2), minimumEntriesPerShard: 1)
            cache.restore(snapshot, now: 0)
            #expect(cache.count <= 4)
        }
        print("snapshot fuzz: \(decoded) of 2000 mutated files decoded to well-formed entries")
    }
}

/// A small deterministic generator for the fuzz test.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
