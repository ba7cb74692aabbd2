// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// The cache as a client sees it through holdfastd: TTLs count down, clamps apply, negative
    /// answers live as long as their SOA says, the LRU bound holds, identical questions coalesce,
    /// and a steadily asked name is refreshed before it expires (SPEC.md: DNS behaviour).
    @Suite("holdfastd cache behaviour", .serialized)
    struct ResilienceCacheTests {
        static let address: [UInt8] = [192, 0, 2, 10]

        @Test func ttlCountsDownAcrossTwoQueries() async throws {
            let stack = try await ResilienceStack.start(records: [try .a("count.test", Self.address, ttl: 10)])
            let first = try await stack.ask("count.test")
            let firstAt = ContinuousClock.now
            #expect(first.rcode == .noError && first.addresses == [Self.address])
            #expect(first.answers.first?.ttl == 10, "\(first.answers)")
            // Letting the TTL run down is the point here.
            try await resilienceSleep(until: firstAt + .milliseconds(2200))
            let second = try await stack.ask("count.test")
            let elapsed = ContinuousClock.now - firstAt
            let ttl = try #require(second.answers.first?.ttl)
            // At least 2 s passed: at most 8 left; at most `elapsed` (rounded up) taken off.
            #expect(ttl <= 8, "TTL \(ttl) after \(elapsed)")
            #expect(Int(ttl) >= 10 - Int(elapsed.components.seconds) - 1, "TTL \(ttl) after \(elapsed)")
            #expect(second.addresses == [Self.address])
            #expect(stack.upstream.queryCount == 1, "the second answer came from the cache")
            await stack.stop()
        }

        @Test("min_ttl_s and max_ttl_s clamp positive answers", arguments: [
            (min: 60, max: nil, recordTTL: 5, expected: 60),
            (min: nil, max: 100, recordTTL: 86_400, expected: 100),
            (min: 30, max: 40, recordTTL: 35, expected: 35),
        ] as [(min: Int?, max: Int?, recordTTL: UInt32, expected: UInt32)])
        func clamps(clamp: (min: Int?, max: Int?, recordTTL: UInt32, expected: UInt32)) async throws {
            let stack = try await ResilienceStack.start(records: [try .a("clamp.test", Self.address, ttl: clamp.recordTTL)]) {
                $0.minTTLs = clamp.min
                $0.maxTTLs = clamp.max
            }
            let first = try await stack.ask("clamp.test")
            #expect(first.answers.map(\.ttl) == [clamp.expected], "\(first)")
            let second = try await stack.ask("clamp.test")
            #expect(second.answers.count == 1)
            #expect((second.answers.first?.ttl ?? 0) <= clamp.expected && (second.answers.first?.ttl ?? 0) >= clamp.expected - 1)
            #expect(stack.upstream.queryCount == 1, "cached for the clamped TTL")
            await stack.stop()
        }

        /// RFC 2308 through a real authoritative server: the negative TTL comes from the SOA
        /// (min of its TTL and MINIMUM), capped by `negative_max_ttl_s`; NXDOMAIN and NODATA alike.
        @Test("Negative answers are cached for the SOA's negative TTL", arguments: [
            (name: "gone.neg.test", type: DNSType.a, soaMinimum: 2, cap: nil, expectedTTL: 2, rcode: DNSRCode.nxDomain),
            (name: "host.neg.test", type: DNSType.aaaa, soaMinimum: 2, cap: nil, expectedTTL: 2, rcode: DNSRCode.noError),
            (name: "gone.neg.test", type: DNSType.a, soaMinimum: 3600, cap: 2, expectedTTL: 2, rcode: DNSRCode.nxDomain),
        ] as [(name: String, type: DNSType, soaMinimum: UInt32, cap: Int?, expectedTTL: UInt32, rcode: DNSRCode)])
        func negativeCaching(
            negative: (name: String, type: DNSType, soaMinimum: UInt32, cap: Int?, expectedTTL: UInt32, rcode: DNSRCode)
        ) async throws {
            var zone = Zone(origin: "neg.test", defaultTTL: 300, negativeTTL: negative.soaMinimum)
            zone.add("host", "A", "192.0.2.20")
            let nsd = try await NSDFixture.start(zones: [zone])
            var config = DaemonConfig(upstreams: [nsd.address])
            config.negativeMaxTTLs = negative.cap
            let daemon = try await DaemonProcess.start(config)
            let before = try await nsd.queryCount()

            let first = try await DNSClient.query(negative.name, negative.type, to: daemon.address)
            let firstAt = ContinuousClock.now
            #expect(first.rcode == negative.rcode && first.answers.isEmpty, "\(first)")
            let soa = first.authorities.first { $0.type == .soa }
            #expect(soa?.ttl == negative.expectedTTL, "\(first.authorities)")
            let asked = try await nsd.queryCount()
            #expect(asked - before == 1)

            let cached = try await DNSClient.query(negative.name, negative.type, to: daemon.address)
            #expect(cached.rcode == negative.rcode && cached.answers.isEmpty)
            #expect((cached.authorities.first { $0.type == .soa }?.ttl ?? .max) <= negative.expectedTTL)
            #expect(try await nsd.queryCount() == asked, "the repeat came from the cache")

            // Past the negative TTL, a healthy upstream is asked again (expired data is refetched).
            try await resilienceSleep(until: firstAt + .seconds(Int(negative.expectedTTL)) + .milliseconds(300))
            let later = try await DNSClient.query(negative.name, negative.type, to: daemon.address)
            #expect(later.rcode == negative.rcode && later.extendedErrors.isEmpty, "\(later)")
            #expect(try await nsd.queryCount() == asked + 1)
            await daemon.stop()
            nsd.stop()
        }

        @Test func lruBoundHolds() async throws {
            let stack = try await ResilienceStack.start { $0.maxEntries = 50 }
            stack.upstream.setDefaultIPv4(Self.address)
            let names = (0..<200).map { (name: "n\($0).lru.test", type: DNSType.a) }
            let outcomes = try await ResilienceBurst.run(names, to: stack.address, interval: .milliseconds(2))
            #expect(outcomes.allSatisfy { $0.reply?.rcode == .noError }, "\(outcomes.filter { $0.reply == nil }.count) unanswered")
            let stats = try await stack.stats()
            #expect(stats.cache.entries <= 50, "\(stats.cache)")
            #expect(stats.cache.evictions >= 150, "\(stats.cache)")
            // The most recent name is still cached; asking all 200 again goes upstream for ≥ 150.
            let last = try await ResilienceControl.get(
                "/cache?name=n199.lru.test&type=A", socket: stack.daemon.controlSocketPath, as: ResilienceCacheEntry.self)
            #expect(last.found)
            let before = stack.upstream.queryCount
            let again = try await ResilienceBurst.run(names, to: stack.address, interval: .milliseconds(2))
            #expect(again.allSatisfy { $0.reply?.rcode == .noError })
            #expect(stack.upstream.queryCount - before >= 150)
            #expect(try await stack.stats().cache.entries <= 50)
            await stack.stop()
        }

        @Test func concurrentIdenticalQuestionsShareOneUpstreamQuery() async throws {
            let stack = try await ResilienceStack.start(records: [try .a("busy.test", Self.address, ttl: 300)])
            try await stack.upstream.setBehaviour(.delay(.milliseconds(300)))
            let questions = Array(repeating: (name: "busy.test", type: DNSType.a), count: 50)
            let outcomes = try await ResilienceBurst.run(questions, to: stack.address, interval: .zero, drain: .seconds(4))
            let answered = outcomes.filter { $0.reply?.rcode == .noError && $0.reply?.addresses == [Self.address] }
            #expect(answered.count == 50)
            #expect(stack.upstream.queryCount == 1)
            let stats = try await stack.stats()
            // All 50 arrive within a millisecond or so of each other, well inside the 300 ms.
            #expect(stats.coalesced + stats.cache.hits == 49, "coalesced \(stats.coalesced), hits \(stats.cache.hits)")
            await stack.stop()
        }

        /// TTL 5 s (the shortest the daemon prefetches), asked every 100 ms for 7 s: the refresh
        /// happens before expiry, no answer is ever a miss, stale or TTL 0.
        @Test func steadilyAskedNameIsPrefetchedAndNeverMisses() async throws {
            let stack = try await ResilienceStack.start(records: [try .a("steady.test", Self.address, ttl: 5)])
            let first = try await stack.ask("steady.test")
            let storedBy = ContinuousClock.now
            #expect(first.rcode == .noError && first.answers.first?.ttl == 5)
            let refreshSeen = Task { () -> ContinuousClock.Instant? in
                await stack.upstream.waitForQueries(2, timeout: .seconds(9)) ? ContinuousClock.now : nil
            }
            var problems: [String] = []
            for tick in 1...70 {
                try await resilienceSleep(until: storedBy + .milliseconds(100 * tick))
                let reply = try await stack.ask("steady.test")
                let ttl = reply.answers.first?.ttl ?? 0
                if reply.rcode != .noError || reply.addresses != [Self.address] || ttl == 0 || ttl > 5 || !reply.extendedErrors.isEmpty {
                    problems.append("tick \(tick): \(reply.rcode) TTL \(ttl) EDE \(reply.extendedErrors)")
                }
            }
            #expect(problems.isEmpty, "\(problems)")
            let refreshedAt = try #require(await refreshSeen.value, "upstream was never asked again")
            // Stored before `storedBy`, so it expired at the latest 5 s after it.
            #expect(refreshedAt < storedBy + .seconds(5), "refresh \(refreshedAt - storedBy) after the first answer")
            #expect(stack.upstream.queryCount == 2)
            let stats = try await stack.stats()
            #expect(stats.cache.misses == 1, "\(stats.cache)")
            #expect(stats.cache.stale == 0)
            #expect(stats.prefetches >= 1)
            await stack.stop()
        }
    }
}
