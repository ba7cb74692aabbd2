// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import HoldfastResolver
import Testing

/// Scenarios in the style of Unbound's serve_expired_*.rpl: a scripted upstream, a manual
/// clock, and steps like "advance 3600 s, expect a stale answer with TTL 30 and EDE 3".
@Suite struct ResolverScenarioTests {
    @Test func freshAnswerIsCachedAndTTLCountsDown() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("www.example.test", [192, 0, 2, 1], ttl: 300)], soa: nil))
        let first = try await harness.ask("www.example.test")
        #expect(first.rcode == .noError)
        #expect(first.answers.first?.ttl == 300)
        harness.clock.advance(seconds: 100)
        let second = try await harness.ask("www.example.test")
        #expect(second.answers.first?.ttl == 200)
        #expect(harness.upstream.asked == 1)
        #expect(try harness.answersSynchronously("WWW.example.TEST"))
    }

    /// `upstream.max_in_flight`: with the bound full, a new miss is answered at once — its
    /// stale data if any, else SERVFAIL — and nothing more is sent upstream.
    @Test func missesBeyondMaxInFlightAreAnsweredAtOnce() async throws {
        let harness = Harness(maxInFlight: 3)
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("old.example.test", [192, 0, 2, 5], ttl: 10)], soa: nil))
        _ = try await harness.ask("old.example.test")
        harness.clock.advance(seconds: 20)
        harness.upstream.script(.hang)
        let hanging = (0..<3).map { index in Task { try await harness.ask("hang\(index).example.test") } }
        let deadline = ContinuousClock.now + .seconds(5)
        while harness.upstream.asked < 4 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        #expect(harness.upstream.asked == 4, "the three questions reached the upstream")

        let over = try await harness.ask("new.example.test")
        #expect(over.rcode == .serverFailure)
        let stale = try await harness.ask("old.example.test")
        #expect(stale.rcode == .noError)
        #expect(stale.answers.first?.ttl == 30, "stale data, with answer_ttl_s")
        #expect(harness.upstream.asked == 4, "nothing was sent for the two questions over the bound")
        #expect(harness.observer.inFlightLimited.load(ordering: .relaxed) == 2)
        #expect(harness.resolver.inFlightCount == 3)

        harness.upstream.releaseHangs()
        for task in hanging { _ = try? await task.value }
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("new.example.test", [192, 0, 2, 6])], soa: nil))
        #expect(try await harness.ask("new.example.test").rcode == .noError, "room again once the flights ended")
    }

    @Test func answerEchoesIDAndClientSpelling() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("www.example.test", [192, 0, 2, 1])], soa: nil))
        _ = try await harness.ask("www.example.test")
        let answer = try await harness.ask("WwW.ExAmPlE.tEsT", id: 0xBEEF)
        #expect(answer.header.id == 0xBEEF)
        #expect(answer.questions.first?.name.hasIdenticalCase(to: try DNSName("WwW.ExAmPlE.tEsT")) == true)
    }

    @Test func identicalQuestionsInFlightShareOneUpstreamQuery() async throws {
        let harness = Harness()
        harness.upstream.script(.slow(milliseconds: 300, records: [try aRecord("slow.example.test", [192, 0, 2, 9])]))
        let answers = try await withThrowingTaskGroup(of: DNSMessage.self) { group in
            for index in 0..<50 {
                group.addTask { try await harness.ask("slow.example.test", id: UInt16(index)) }
            }
            var collected: [DNSMessage] = []
            for try await answer in group { collected.append(answer) }
            return collected
        }
        #expect(answers.count == 50)
        #expect(answers.allSatisfy { $0.rcode == .noError && $0.answers.count == 1 })
        #expect(Set(answers.map(\.header.id)).count == 50)
        #expect(harness.upstream.asked == 1)
    }

    @Test func expiredDataIsServedStaleWhenUpstreamFails() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("a.example.test", [192, 0, 2, 1], ttl: 60)], soa: nil))
        _ = try await harness.ask("a.example.test")
        harness.clock.advance(seconds: 3600)
        harness.upstream.script(.fail)
        let stale = try await harness.ask("a.example.test")
        #expect(stale.rcode == .noError)
        #expect(stale.answers.first?.ttl == 30)
        #expect(stale.edns?.extendedErrorCodes == [ExtendedDNSError.staleAnswer])
        // The failed refresh starts the recheck timer: answered stale at once, upstream not asked.
        let asked = harness.upstream.asked
        #expect(try harness.answersSynchronously("a.example.test"))
        #expect(harness.upstream.asked == asked)
        // Without EDNS there is no OPT and so no EDE, but still the stale data.
        let plain = try await harness.ask("a.example.test", edns: false)
        #expect(plain.edns == nil)
        #expect(plain.answers.first?.ttl == 30)
    }

    @Test func expiredDataIsRefetchedWhileUpstreamAnswers() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("b.example.test", [192, 0, 2, 1], ttl: 60)], soa: nil))
        _ = try await harness.ask("b.example.test")
        harness.clock.advance(seconds: 120)
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("b.example.test", [192, 0, 2, 2], ttl: 60)], soa: nil))
        let fresh = try await harness.ask("b.example.test")
        #expect(fresh.answers.first?.data == .a([192, 0, 2, 2]))
        #expect(fresh.answers.first?.ttl == 60)
        #expect(fresh.edns?.extendedErrorCodes == [])
    }

    @Test func silentUpstreamGetsStaleAnswerAfterClientTimeout() async throws {
        let harness = Harness(clientTimeoutMs: 50)
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("c.example.test", [192, 0, 2, 1], ttl: 60)], soa: nil))
        _ = try await harness.ask("c.example.test")
        harness.clock.advance(seconds: 600)
        harness.upstream.script(.hang)
        let stale = try await harness.ask("c.example.test")
        #expect(stale.answers.first?.ttl == 30)
        #expect(stale.edns?.extendedErrorCodes == [ExtendedDNSError.staleAnswer])
        harness.upstream.releaseHangs()
    }

    @Test func knownDownUpstreamAnswersStaleAtOnceAndUnknownNamesServfail() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("d.example.test", [192, 0, 2, 1], ttl: 60)], soa: nil))
        _ = try await harness.ask("d.example.test")
        harness.clock.advance(seconds: 600)
        harness.upstream.script(.allDown, knownDown: true)
        #expect(try harness.answersSynchronously("d.example.test"))
        let unknown = try await harness.ask("unknown.example.test")
        #expect(unknown.rcode == .serverFailure)
        #expect(unknown.edns?.extendedErrorCodes == [ExtendedDNSError.noReachableAuthority])
    }

    @Test func failureWithoutStaleDataIsServfailWithEDE22() async throws {
        let harness = Harness()
        harness.upstream.script(.fail)
        let answer = try await harness.ask("nothing.example.test")
        #expect(answer.rcode == .serverFailure)
        #expect(answer.edns?.extendedErrorCodes == [ExtendedDNSError.noReachableAuthority])
        // A failure is remembered only for failure_ttl_s (5 s, RFC 9520), never as an answer:
        // once it runs out the next query asks upstream again.
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("nothing.example.test", [192, 0, 2, 5])], soa: nil))
        harness.clock.advance(seconds: 5)
        let later = try await harness.ask("nothing.example.test")
        #expect(later.rcode == .noError)
        #expect(harness.upstream.asked == 2)
    }

    @Test func negativeAnswersAreCachedFromTheSOA() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .nxDomain, records: [], soa: try soaRecord("example.test", ttl: 3600, minimum: 120)))
        let first = try await harness.ask("missing.example.test")
        #expect(first.rcode == .nxDomain)
        harness.clock.advance(seconds: 60)
        let second = try await harness.ask("missing.example.test")
        #expect(second.rcode == .nxDomain)
        #expect(second.authorities.first?.ttl == 60)
        #expect(harness.upstream.asked == 1)
    }

    @Test(arguments: [
        ("important.example.test", ["important.example.test"], true),
        ("api.example.test", ["*.example.test"], true),
        ("example.test", ["*.example.test"], false),
        ("other.example.test", ["important.example.test"], false),
    ])
    func lastKnownGood(name: String, patterns: [String], kept: Bool) async throws {
        // The collapse guard off for unlisted names: only the listed patterns keep their answer.
        let harness = Harness(lastKnownGood: patterns, collapseHoldSeconds: 0)
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(name, [192, 0, 2, 7], ttl: 60)], soa: nil))
        _ = try await harness.ask(name)
        harness.clock.advance(seconds: 120)
        harness.upstream.script(.answer(rcode: .nxDomain, records: [], soa: try soaRecord("test")))
        let answer = try await harness.ask(name)
        if kept {
            #expect(answer.rcode == .noError)
            #expect(answer.answers.first?.data == .a([192, 0, 2, 7]))
            #expect(answer.answers.first?.ttl == 30)
            #expect(answer.edns?.extendedErrorCodes == [ExtendedDNSError.staleAnswer])
        } else {
            #expect(answer.rcode == .nxDomain)
        }
    }

    @Test func localNamesAreNeverForwarded() async throws {
        let router = DNSRecord(name: try DNSName("router.lan"), type: .a, ttl: 300, data: .a([192, 168, 1, 1]))
        let harness = Harness(local: [router])
        let local = try await harness.ask("Router.LAN")
        #expect(local.answers.first?.data == .a([192, 168, 1, 1]))
        #expect(local.header.authoritative)
        let localhost = try await harness.ask("foo.localhost", .aaaa)
        #expect(localhost.answers.first?.data == .aaaa([UInt8](repeating: 0, count: 15) + [1]))
        let invalid = try await harness.ask("something.invalid")
        #expect(invalid.rcode == .nxDomain)
        #expect(harness.upstream.asked == 0)
    }

    @Test func badInputIsAnsweredOrDroppedNeverForwarded() async throws {
        let harness = Harness()
        // Fewer than 12 bytes: nothing to answer.
        #expect(try await harness.sendRaw([1, 2, 3]) == nil)
        // QR=1: a response, dropped.
        var response = DNSMessage.makeQuery(id: 9, question: DNSQuestion(name: try DNSName("x.test"), type: .a))
        response[2] |= 0x80
        #expect(try await harness.sendRaw(response) == nil)
        // Garbage after a header: FORMERR with the client's ID.
        let garbage: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C]
        let formerr = try await harness.send(garbage)
        #expect(formerr.header.id == 0xABCD)
        #expect(formerr.rcode == .formatError)
        // Opcode NOTIFY: NOTIMP.
        var notify = DNSMessage.makeQuery(id: 10, question: DNSQuestion(name: try DNSName("x.test"), type: .soa))
        notify[2] = (notify[2] & 0x87) | (4 << 3)
        #expect(try await harness.send(notify).rcode == .notImplemented)
        // Two questions: FORMERR.
        var two = DNSMessage(header: DNSHeader(id: 11), questions: [
            DNSQuestion(name: try DNSName("a.test"), type: .a), DNSQuestion(name: try DNSName("b.test"), type: .a),
        ])
        two.header.recursionDesired = true
        #expect(try await harness.send(two.serialize()).rcode == .formatError)
        #expect(harness.upstream.asked == 0)
    }

    @Test func largeAnswersAreTruncatedOverUDPAndWholeOverTCP() async throws {
        let harness = Harness()
        let records = try (0..<100).map { try aRecord("big.example.test", [10, 0, UInt8($0 / 256), UInt8($0 % 256)]) }
        harness.upstream.script(.answer(rcode: .noError, records: records, soa: nil))
        let udp = try await harness.ask("big.example.test")
        #expect(udp.header.truncated)
        #expect(udp.answers.isEmpty)
        let tcp = try await harness.ask("big.example.test", transport: .tcp)
        #expect(!tcp.header.truncated)
        #expect(tcp.answers.count == 100)
        let noEDNS = try await harness.ask("big.example.test", edns: false)
        #expect(noEDNS.header.truncated)
    }
}
