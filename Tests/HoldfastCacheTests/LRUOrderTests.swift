// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Testing
@testable import HoldfastCache

/// `max_entries` bounds the cache and the least recently used entry goes first, at every size
/// (SPEC "Cache"). The scenario: fill the cache, use the first name again, cache half as many
/// new names again.
@Suite struct LRUOrderTests {
    static func name(_ index: Int) -> String { "host\(index).lru.test" }

    static func store(_ cache: DNSCache, _ indices: Range<Int>) {
        for index in indices {
            cache.store(Fixture.key(name(index)), message: Fixture.answer(name(index)), now: CacheMillis(index))
        }
    }

    static func present(_ cache: DNSCache, _ index: Int) -> Bool {
        !cache.peek(Fixture.key(name(index)), now: 1_000_000).isMiss
    }

    /// Small caches (the daemon's default shard limit): the order is exact.
    @Test(arguments: [1, 3, 100, 1_000, 16_383])
    func smallCacheEvictsExactlyTheLeastRecentlyUsed(maxEntries: Int) {
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: maxEntries))
        Self.store(cache, 0..<maxEntries)
        #expect(cache.count == maxEntries, "every name cached while the cache was not full is still there")
        #expect(cache.statistics.evictions == 0)

        _ = cache.lookup(Fixture.key(Self.name(0)), now: CacheMillis(maxEntries))
        let added = max(1, maxEntries / 2)
        Self.store(cache, maxEntries..<(maxEntries + added))

        #expect(cache.count == maxEntries)
        #expect(cache.statistics.evictions == UInt64(added))
        let recentlyUsedKept = maxEntries == 1 || Self.present(cache, 0)
        #expect(recentlyUsedKept, "the name used again must outlive older untouched names")
        // Evicted: the `added` oldest untouched names (1...added, or 0 when it is the only one).
        let evicted = maxEntries == 1 ? 0..<1 : 1..<(1 + added)
        let wronglyKept = evicted.filter { Self.present(cache, $0) }
        let kept = evicted.upperBound..<(maxEntries + added)
        let wronglyEvicted = kept.filter { !Self.present(cache, $0) }
        #expect(wronglyKept.isEmpty, "older untouched names still cached: \(wronglyKept.prefix(5))")
        #expect(wronglyEvicted.isEmpty, "newer names evicted: \(wronglyEvicted.prefix(5))")
    }

    /// A large cache is sharded (per-shard LRU): the bound is exact and the order is close to
    /// exact — the spread of names over shards is a small fraction of a shard.
    @Test func largeCacheKeepsTheBoundAndNearlyTheOrder() throws {
        let maxEntries = 16_384
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: maxEntries))
        try #require(cache.shards.count == 2, "a cache of \(maxEntries) is sharded")
        #expect(cache.configuration.shardCount == 2)
        Self.store(cache, 0..<maxEntries)
        #expect(cache.count <= maxEntries)
        #expect(cache.count >= maxEntries - maxEntries / 100, "filling the cache evicted \(maxEntries - cache.count)")

        _ = cache.lookup(Fixture.key(Self.name(0)), now: CacheMillis(maxEntries))
        let added = maxEntries / 2
        Self.store(cache, maxEntries..<(maxEntries + added))

        #expect(cache.count <= maxEntries)
        #expect(Self.present(cache, 0), "the name used again must outlive older untouched names")
        let newest = (maxEntries..<(maxEntries + added)).filter { !Self.present(cache, $0) }
        #expect(newest.isEmpty, "just-cached names evicted: \(newest.prefix(5))")
        let quarter = maxEntries / 4
        let oldestKept = (1..<quarter).filter { Self.present(cache, $0) }.count
        let youngestLost = ((maxEntries - quarter)..<maxEntries).filter { !Self.present(cache, $0) }.count
        #expect(oldestKept <= quarter / 200, "\(oldestKept) of the oldest quarter survived")
        #expect(youngestLost <= quarter / 200, "\(youngestLost) of the youngest quarter of the first fill were evicted")
    }

    @Test func shardCountGrowsWithTheCache() {
        let perShard = DNSCache.minimumEntriesPerShard
        #expect(DNSCache.shardCount(maxEntries: 0, limit: 16) == 1)
        #expect(DNSCache.shardCount(maxEntries: 100, limit: 16) == 1)
        #expect(DNSCache.shardCount(maxEntries: 2 * perShard - 1, limit: 16) == 1)
        #expect(DNSCache.shardCount(maxEntries: 2 * perShard, limit: 16) == 2)
        #expect(DNSCache.shardCount(maxEntries: 200_000, limit: 16) == 16)
        #expect(DNSCache.shardCount(maxEntries: 200_000, limit: 0) == 1)
        #expect(DNSCache(configuration: CacheConfiguration(maxEntries: 100, shardCount: 16)).configuration.shardCount == 1)
    }
}
