// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Testing
@testable import HoldfastCache

/// Issue 25: an upstream reply is stored from its own bytes (`store(_:reply:now:)`). Every
/// policy rule must come out as it does for the decoded path (`store(_:message:now:)`): the
/// same answers cached or refused, the same TTLs, the same negative entries, the same bytes
/// for the client once rendered.
@Suite struct ScannedStoreTests {
    let config = CacheConfiguration(maxEntries: 1000, minTTLSeconds: 30, maxTTLSeconds: 3600, negativeMaxTTLSeconds: 900, shardCount: 1)

    /// The reply as an upstream sends it: 0x20 case in the question, OPT last.
    static func wire(_ message: DNSMessage) -> [UInt8] {
        var copy = message
        var generator = SystemRandomNumberGenerator()
        copy.questions = copy.questions.map { DNSQuestion(name: $0.name.randomizingCase(using: &generator), type: $0.type, qclass: $0.qclass) }
        copy.edns = EDNS(udpPayloadSize: 1232, dnssecOK: false)
        copy.header.id = 0x7777
        return copy.encode().bytes
    }

    static let cases: [(String, DNSMessage)] = {
        var truncated = Fixture.answer("example.com", ttls: [60])
        truncated.header.truncated = true
        var servfail = Fixture.answer("example.com")
        servfail.rcode = .serverFailure
        var withAuthority = Fixture.answer("example.com", ttls: [10, 100_000])
        withAuthority.authorities = [Fixture.soa(ttl: 5, minimum: 5)]
        return [
            ("positive, clamped up and down", Fixture.answer("example.com", ttls: [10, 300, 100_000])),
            ("positive with an SOA in authority", withAuthority),
            ("NXDOMAIN, SOA minimum", Fixture.negative("example.com", rcode: .nxDomain, soaTTL: 3600, minimum: 300)),
            ("NODATA, SOA TTL", Fixture.negative("example.com", rcode: .noError, soaTTL: 60, minimum: 300)),
            ("NXDOMAIN over negative_max_ttl_s", Fixture.negative("example.com", rcode: .nxDomain, soaTTL: 7200, minimum: 7200)),
            ("NXDOMAIN without SOA", Fixture.response("example.com", rcode: .nxDomain)),
            ("TC", truncated),
            ("SERVFAIL", servfail),
            ("another question", Fixture.answer("other.example.com")),
        ]
    }()

    @Test(arguments: cases)
    func sameAsTheDecodedPath(_ label: String, _ message: DNSMessage) throws {
        let key = Fixture.key("example.com")
        let decodedCache = DNSCache(configuration: config)
        let scannedCache = DNSCache(configuration: config)
        let reply = try #require(ScannedReply(reply: Self.wire(message)), "\(label): the scan should take it")
        let viaMessage = decodedCache.store(key, message: message, now: 0)
        let viaReply = scannedCache.store(key, reply: reply, now: 0)
        #expect((viaMessage == nil) == (viaReply == nil), "\(label)")
        guard let viaMessage, let viaReply else { return }
        #expect(viaReply.minimumTTL == viaMessage.minimumTTL, "\(label)")
        #expect(viaReply.rcode == viaMessage.rcode)
        for elapsed: UInt32 in [0, 20] {
            let client = Fixture.name("ExAmple.com").wireBytes
            func render(_ answer: StoredAnswer) throws -> DNSMessage {
                try DNSMessage(parsing: answer.render(
                    id: 9, clientQuestionName: client, queryFlags: 0x0100, clientEDNS: EDNS(udpPayloadSize: 4096, dnssecOK: false),
                    ttl: .countDown(elapsedSeconds: elapsed), maxSize: 4096))
            }
            let fromReply = try render(viaReply)
            #expect(fromReply == (try render(viaMessage)), "\(label)")
            #expect(fromReply.questions[0].name.hasIdenticalCase(to: Fixture.name("ExAmple.com")))
        }
        let hitA = try #require(decodedCache.lookup(key, now: 1_000).hit)
        let hitB = try #require(scannedCache.lookup(Fixture.key("EXAMPLE.COM"), now: 1_000).hit)
        #expect(hitA.isNegative == hitB.isNegative)
        #expect(hitA.remainingSeconds == hitB.remainingSeconds)
    }

    @Test func failuresNeverReplaceAnAnswer() throws {
        let cache = DNSCache(configuration: config)
        let key = Fixture.key("example.com")
        cache.store(key, message: Fixture.answer("example.com", ttls: [60], address: 1), now: 0)
        var bad = Fixture.answer("example.com", ttls: [60], address: 2)
        bad.rcode = .serverFailure
        #expect(cache.store(key, reply: try #require(ScannedReply(reply: Self.wire(bad))), now: 1_000) == nil)
        let hit = try #require(cache.lookup(key, now: 2_000).hit)
        #expect(hit.answer.bytes.suffix(4) == [192, 0, 2, 1])
    }
}
