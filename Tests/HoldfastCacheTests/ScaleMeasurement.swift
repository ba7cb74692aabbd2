// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Glibc
import Testing
@testable import HoldfastCache

/// Measures memory per entry and snapshot timings. Prints numbers, asserts only correctness.
/// Size with HOLDFAST_CACHE_SCALE (default 100 000; the report uses 1 000 000).
@Suite struct ScaleMeasurement {
    static var entryCount: Int {
        guard let text = getenv("HOLDFAST_CACHE_SCALE"), let value = Int(String(cString: text)), value > 0 else { return 100_000 }
        return value
    }

    static func residentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 127) }
        guard got > 0 else { return 0 }
        let fields = String(decoding: buffer.prefix(got), as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func millis() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1_000_000
    }

    @Test func manySmallAnswers() throws {
        let count = Self.entryCount
        let configuration = CacheConfiguration(maxEntries: count + count / 10, shardCount: 16)  // room for uneven shards
        // Build the messages first so only the cache's own memory is measured.
        var start = Self.millis()
        var keys: [CacheKey] = []
        var messages: [DNSMessage] = []
        keys.reserveCapacity(count)
        messages.reserveCapacity(count)
        for index in 0..<count {
            let name = "host\(index).example.com"
            keys.append(Fixture.key(name))
            messages.append(Fixture.answer(name, ttls: [3600], address: UInt8(truncatingIfNeeded: index)))
        }
        let buildTime = Self.millis() - start

        let before = Self.residentBytes()
        let cache = DNSCache(configuration: configuration)
        start = Self.millis()
        for index in 0..<count { cache.store(keys[index], message: messages[index], now: 0) }
        let storeTime = Self.millis() - start
        let after = Self.residentBytes()
        #expect(cache.count == count)
        messages = []

        start = Self.millis()
        var hits = 0
        for index in 0..<count { if cache.lookup(keys[index], now: 1_000).isFresh { hits += 1 } }
        let lookupTime = Self.millis() - start
        #expect(hits == count)

        let directory = TemporaryDirectory()
        let path = directory.file("cache.bin")
        start = Self.millis()
        let snapshot = cache.snapshot(now: 2_000)
        let snapshotTime = Self.millis() - start
        start = Self.millis()
        try CacheSnapshotFile.write(snapshot, to: path, wallClockNow: 1_800_000_000)
        let writeTime = Self.millis() - start

        start = Self.millis()
        let loaded = try CacheSnapshotFile.read(from: path, wallClockNow: 1_800_000_010)
        let readTime = Self.millis() - start
        let fresh = DNSCache(configuration: configuration)
        start = Self.millis()
        let restored = fresh.restore(loaded, now: 0)
        let restoreTime = Self.millis() - start
        #expect(restored == count)
        #expect(fresh.peek(keys[count - 1], now: 0).hit?.elapsedSeconds == 12)

        var info = stat()
        stat(path, &info)
        func ms(_ value: Double) -> String { String(Int(value.rounded())) + " ms" }
        print("""
            cache scale (\(count) A answers, \(configuration.shardCount) shards):
              RSS growth \((after - before) / 1024) KiB = \((after - before) / count) bytes per entry
              build messages \(ms(buildTime)), store \(ms(storeTime)), lookup all \(ms(lookupTime)) \
            (\(Int(lookupTime * 1_000_000 / Double(count))) ns each)
              snapshot \(ms(snapshotTime)), write \(ms(writeTime)) (\(Int(info.st_size) / 1024) KiB), \
            read \(ms(readTime)), restore \(ms(restoreTime))
            """)
    }
}
