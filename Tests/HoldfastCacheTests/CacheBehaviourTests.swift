// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Testing
@testable import HoldfastCache

@Suite struct CacheBehaviourTests {
    let config = CacheConfiguration(maxEntries: 1000, shardCount: 4)

    @Test func ttlCountsDownBetweenLookups() throws {
        let cache = DNSCache(configuration: config)
        cache.store(Fixture.key("example.com"), message: Fixture.answer("example.com", ttls: [300]), now: 1_000)
        let first = try #require(cache.lookup(Fixture.key("example.com"), now: 1_000).hit)
        #expect(Fixture.renderedTTLs(first) == [300])
        let later = cache.lookup(Fixture.key("example.com"), now: 1_000 + 10_500)
        let hit = try #require(later.hit)
        #expect(later.isFresh)
        #expect(hit.elapsedSeconds == 10)
        #expect(hit.remainingSeconds == 290)
        #expect(Fixture.renderedTTLs(hit) == [290])
    }

    @Test func entryLivesForItsSmallestTTL() throws {
        let cache = DNSCache(configuration: config)
        cache.store(Fixture.key("example.com"), message: Fixture.answer("example.com", ttls: [300, 20]), now: 0)
        #expect(cache.lookup(Fixture.key("example.com"), now: 19_999).isFresh)
        #expect(cache.lookup(Fixture.key("example.com"), now: 20_000).isStale)
    }

    @Test(arguments: [
        (UInt32(5), UInt32(60), UInt32(3600), UInt32(60)),
        (100_000, 0, 86_400, 86_400),
        (300, 0, 86_400, 300),
        (300, 600, 100, 100),  // crossed limits: max wins
    ])
    func positiveTTLsAreClamped(recordTTL: UInt32, minimum: UInt32, maximum: UInt32, expected: UInt32) throws {
        var configuration = config
        configuration.minTTLSeconds = minimum
        configuration.maxTTLSeconds = maximum
        let cache = DNSCache(configuration: configuration)
        let stored = try #require(cache.store(Fixture.key("example.com"), message: Fixture.answer("example.com", ttls: [recordTTL]), now: 0))
        #expect(stored.minimumTTL == expected)
        let hit = try #require(cache.lookup(Fixture.key("example.com"), now: 0).hit)
        #expect(hit.remainingSeconds == expected)
        #expect(Fixture.renderedTTLs(hit) == [expected])
    }

    @Test(arguments: [DNSRCode.nxDomain, .noError], [
        (UInt32(3600), UInt32(300), UInt32(3600), UInt32(300)),  // SOA minimum
        (60, 300, 3600, 60),  // SOA TTL
        (7200, 7200, 900, 900),  // negative_max_ttl_s cap
    ])
    func negativeAnswersUseTheSOA(rcode: DNSRCode, ttls: (UInt32, UInt32, UInt32, UInt32)) throws {
        var configuration = config
        configuration.negativeMaxTTLSeconds = ttls.2
        configuration.minTTLSeconds = 5000  // applies to positive answers only
        let cache = DNSCache(configuration: configuration)
        let message = Fixture.negative("gone.example.com", rcode: rcode, soaTTL: ttls.0, minimum: ttls.1)
        let stored = try #require(cache.store(Fixture.key("gone.example.com"), message: message, now: 0))
        #expect(stored.minimumTTL == ttls.3)
        let hit = try #require(cache.lookup(Fixture.key("gone.example.com"), now: 0).hit)
        #expect(hit.isNegative)
        #expect(hit.answer.rcode == rcode)
        #expect(Fixture.renderedTTLs(hit, name: "gone.example.com") == [ttls.3])
    }

    @Test(arguments: [DNSRCode.nxDomain, .noError])
    func negativeWithoutSOAIsNotCached(rcode: DNSRCode) {
        let cache = DNSCache(configuration: config)
        #expect(cache.store(Fixture.key("x.example.com"), message: Fixture.response("x.example.com", rcode: rcode), now: 0) == nil)
        #expect(cache.lookup(Fixture.key("x.example.com"), now: 0).isMiss)
    }

    @Test(arguments: ["SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "TC", "other question"])
    func failuresNeverReplaceAnAnswer(failure: String) throws {
        let cache = DNSCache(configuration: config)
        let key = Fixture.key("example.com")
        cache.store(key, message: Fixture.answer("example.com", ttls: [60], address: 1), now: 0)
        var bad = Fixture.answer("example.com", ttls: [60], address: 2)
        switch failure {
        case "SERVFAIL": bad.rcode = .serverFailure
        case "REFUSED": bad.rcode = .refused
        case "FORMERR": bad.rcode = .formatError
        case "NOTIMP": bad.rcode = .notImplemented
        case "TC": bad.header.truncated = true
        default: bad = Fixture.answer("other.example.com", ttls: [60], address: 2)
        }
        #expect(cache.store(key, message: bad, now: 1_000) == nil)
        let hit = try #require(cache.lookup(key, now: 2_000).hit)
        #expect(hit.answer.bytes.suffix(4) == [192, 0, 2, 1])
        #expect(cache.count == 1)
    }

    @Test func lruBoundEvictsTheLeastRecentlyUsed() {
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 3, shardCount: 1))
        for name in ["a.test", "b.test", "c.test"] { cache.store(Fixture.key(name), message: Fixture.answer(name), now: 0) }
        #expect(cache.lookup(Fixture.key("a.test"), now: 1).isFresh)  // b is now the oldest
        cache.store(Fixture.key("d.test"), message: Fixture.answer("d.test"), now: 2)
        #expect(cache.count == 3)
        #expect(cache.peek(Fixture.key("b.test"), now: 3).isMiss)
        for name in ["a.test", "c.test", "d.test"] { #expect(cache.peek(Fixture.key(name), now: 3).isFresh) }
        #expect(cache.statistics.evictions == 1)
    }

    @Test func lruBoundHoldsAcrossShards() {
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 100, shardCount: 16), minimumEntriesPerShard: 1)
        #expect(cache.shards.count == 16)
        for index in 0..<1000 {
            let name = "host\(index).test"
            cache.store(Fixture.key(name), message: Fixture.answer(name), now: CacheMillis(index))
            #expect(cache.count <= 100)
        }
        #expect(cache.count > 80)
        #expect(cache.peek(Fixture.key("host999.test"), now: 1000).isFresh)
    }

    @Test func reconfigureShrinksToTheNewBound() {
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 50, shardCount: 1))
        for index in 0..<50 { cache.store(Fixture.key("h\(index).test"), message: Fixture.answer("h\(index).test"), now: 0) }
        cache.reconfigure(CacheConfiguration(maxEntries: 10, shardCount: 8))
        #expect(cache.count == 10)
        #expect(cache.peek(Fixture.key("h49.test"), now: 0).isFresh)
        #expect(cache.peek(Fixture.key("h0.test"), now: 0).isMiss)
        #expect(cache.configuration.shardCount == 1)
    }

    @Test func keysIgnoreCaseButKeepTheDOBitApart() throws {
        let cache = DNSCache(configuration: config)
        cache.store(Fixture.key("WWW.Example.COM"), message: Fixture.answer("WWW.Example.COM"), now: 0)
        #expect(cache.lookup(Fixture.key("www.example.com"), now: 0).isFresh)
        #expect(cache.lookup(Fixture.key("www.example.com", dnssecOK: true), now: 0).isMiss)
        #expect(cache.lookup(Fixture.key("www.example.com", .aaaa), now: 0).isMiss)
        cache.store(Fixture.key("www.example.com", dnssecOK: true), message: Fixture.answer("www.example.com", address: 9), now: 0)
        #expect(cache.count == 2)
        let plain = try #require(cache.lookup(Fixture.key("www.EXAMPLE.com"), now: 0).hit)
        #expect(plain.answer.bytes.suffix(4) == [192, 0, 2, 1])
    }

    @Test func expiredDataIsStaleUntilMaxAgeThenGone() {
        var configuration = config
        configuration.staleMaxAgeSeconds = 100
        let cache = DNSCache(configuration: configuration)
        let key = Fixture.key("example.com")
        cache.store(key, message: Fixture.answer("example.com", ttls: [60]), now: 0)
        let justExpired = cache.lookup(key, now: Fixture.seconds(61.5))
        #expect(justExpired.expiredSeconds == 1)
        #expect(justExpired.hit?.remainingSeconds == 0)
        #expect(cache.lookup(key, now: Fixture.seconds(159.9)).isStale)
        #expect(cache.lookup(key, now: Fixture.seconds(160)).isMiss)
        #expect(cache.count == 0)
        #expect(cache.statistics.staleHits == 2)
    }

    @Test func withoutServeStaleExpiredDataIsGone() {
        var configuration = config
        configuration.staleEnabled = false
        let cache = DNSCache(configuration: configuration)
        cache.store(Fixture.key("example.com"), message: Fixture.answer("example.com", ttls: [60]), now: 0)
        #expect(cache.lookup(Fixture.key("example.com"), now: Fixture.seconds(60)).isMiss)
    }

    @Test func failedRefreshBlocksRefreshesForTheRecheckTime() {
        let cache = DNSCache(configuration: config)
        let key = Fixture.key("example.com")
        cache.store(key, message: Fixture.answer("example.com", ttls: [10]), now: 0)
        #expect(cache.lookup(key, now: Fixture.seconds(20)).refreshBlocked == false)
        cache.markRefreshFailed(key, now: Fixture.seconds(20))
        #expect(cache.lookup(key, now: Fixture.seconds(21)).refreshBlocked == true)
        #expect(cache.peek(key, now: Fixture.seconds(49.9)).refreshBlocked == true)
        #expect(cache.lookup(key, now: Fixture.seconds(50)).refreshBlocked == false)
        cache.markRefreshFailed(key, now: Fixture.seconds(50))
        cache.store(key, message: Fixture.answer("example.com", ttls: [1]), now: Fixture.seconds(51))
        #expect(cache.lookup(key, now: Fixture.seconds(53)).refreshBlocked == false)
    }

    @Test func prefetchIsClaimedOnceNearTheEndOfAPopularEntry() {
        let cache = DNSCache(configuration: config)
        let key = Fixture.key("example.com")
        cache.store(key, message: Fixture.answer("example.com", ttls: [100]), now: 0)
        #expect(cache.lookup(key, now: Fixture.seconds(95)).prefetch == false)  // first hit: not popular yet
        #expect(cache.peek(key, now: Fixture.seconds(95)).prefetch == false)
        #expect(cache.lookup(key, now: Fixture.seconds(96)).prefetch == true)
        #expect(cache.lookup(key, now: Fixture.seconds(97)).prefetch == false)
        // A refreshed answer can be prefetched again.
        cache.store(key, message: Fixture.answer("example.com", ttls: [100]), now: Fixture.seconds(98))
        #expect(cache.lookup(key, now: Fixture.seconds(100)).prefetch == false)  // early in its life
        #expect(cache.lookup(key, now: Fixture.seconds(187)).prefetch == false)  // 11 % left
        #expect(cache.lookup(key, now: Fixture.seconds(188)).prefetch == true)  // 10 % left
        #expect(cache.statistics.prefetches == 2)
    }

    @Test func prefetchOffOrShortTTLNeverClaims() {
        var configuration = config
        configuration.prefetch = false
        let off = DNSCache(configuration: configuration)
        let short = DNSCache(configuration: config)
        let key = Fixture.key("example.com")
        off.store(key, message: Fixture.answer("example.com", ttls: [100]), now: 0)
        short.store(key, message: Fixture.answer("example.com", ttls: [4]), now: 0)
        for time in [95.0, 96, 97, 98] { #expect(off.lookup(key, now: Fixture.seconds(time)).prefetch == false) }
        for time in [3.7, 3.8, 3.9] { #expect(short.lookup(key, now: Fixture.seconds(time)).prefetch == false) }
    }

    @Test func flushByNameRemovesEveryTypeAndFlushAllEmpties() {
        let cache = DNSCache(configuration: config)
        cache.store(Fixture.key("a.test"), message: Fixture.answer("a.test"), now: 0)
        var aaaa = Fixture.response("a.test", .aaaa)
        aaaa.answers = [DNSRecord(name: Fixture.name("a.test"), type: .aaaa, ttl: 60, data: .aaaa([UInt8](repeating: 0, count: 15) + [1]))]
        cache.store(Fixture.key("a.test", .aaaa), message: aaaa, now: 0)
        cache.store(Fixture.key("b.test"), message: Fixture.answer("b.test"), now: 0)
        #expect(cache.entries(named: Fixture.name("A.TEST"), now: 0).map(\.0.type).sorted { $0.rawValue < $1.rawValue } == [.a, .aaaa])
        #expect(cache.flush(name: Fixture.name("A.test")) == 2)
        #expect(cache.count == 1)
        #expect(cache.lookup(Fixture.key("a.test"), now: 0).isMiss)
        #expect(cache.flush(name: nil) == 1)
        #expect(cache.count == 0)
    }

    @Test func statisticsCountTraffic() {
        let cache = DNSCache(configuration: config)
        cache.store(Fixture.key("a.test"), message: Fixture.answer("a.test", ttls: [10]), now: 0)
        _ = cache.lookup(Fixture.key("a.test"), now: 0)
        _ = cache.lookup(Fixture.key("b.test"), now: 0)
        _ = cache.lookup(Fixture.key("a.test"), now: 11_000)
        let stats = cache.statistics
        #expect(stats.hits == 1)
        #expect(stats.misses == 1)
        #expect(stats.staleHits == 1)
        #expect(stats.inserts == 1)
    }

    @Test func concurrentLookupsAndStoresStayBounded() async {
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 500, shardCount: 8), minimumEntriesPerShard: 1)
        let messages = (0..<2000).map { Fixture.answer("n\($0).test", ttls: [UInt32(1 + $0 % 20)]) }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for step in 0..<5000 {
                        let index = (step * 7 + worker * 13) % messages.count
                        let key = Fixture.key("n\(index).test")
                        let now = CacheMillis(step * 10)
                        if step % 3 == 0 {
                            cache.store(key, message: messages[index], now: now)
                        } else if step % 50 == 1 {
                            cache.markRefreshFailed(key, now: now)
                        } else if step % 997 == 2 {
                            cache.flush(name: key.name)
                        } else {
                            _ = cache.lookup(key, now: now)
                        }
                    }
                }
            }
        }
        #expect(cache.count <= 500)
        #expect(cache.statistics.inserts > 0)
    }
}
