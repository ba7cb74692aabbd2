// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastCache
import HoldfastResolver
import Testing

/// The collapse guard (SPEC "When an answer collapses"), step by step on the manual clock, in
/// the style of Unbound's serve_expired_*.rpl: a record that resolved a moment ago comes back
/// empty, and what clients see from then on.
@Suite struct CollapseScenarioTests {
    static let name = "api.example.test"
    static let old: [UInt8] = [192, 0, 2, 7]

    enum Empty: String, CaseIterable { case nodata, nxdomain }

    static func empty(_ kind: Empty) throws -> ScriptedUpstream.Behaviour {
        .answer(rcode: kind == .nxdomain ? .nxDomain : .noError, records: [], soa: try soaRecord("example.test", minimum: 60))
    }

    /// Answered with data (TTL 60), then asked again 120 s later when upstream says `empty`.
    static func collapsed(_ harness: Harness, _ kind: Empty = .nodata, name: String = name, type: DNSType = .a) async throws -> DNSMessage {
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(name, old, ttl: 60)], soa: nil))
        let first = try await harness.ask(name, type)
        #expect(first.answers.first?.data == .a(old))
        harness.clock.advance(seconds: 120)
        harness.upstream.script(try empty(kind))
        return try await harness.ask(name, type)
    }

    static func expectHeld(_ answer: DNSMessage, _ data: [UInt8] = old) {
        #expect(answer.rcode == .noError)
        #expect(answer.answers.first?.data == .a(data))
        #expect(answer.answers.first?.ttl == 30)
        #expect(answer.edns?.extendedErrorCodes == [ExtendedDNSError.staleAnswer])
    }

    @Test(arguments: Empty.allCases)
    func collapseKeepsTheLastPositiveAnswer(kind: Empty) async throws {
        let harness = Harness()
        let answer = try await Self.collapsed(harness, kind)
        Self.expectHeld(answer)
        #expect(harness.observer.collapseCount == 1)
        let held = harness.resolver.heldNames()
        #expect(held.count == 1)
        #expect(held.first?.reason == .collapse)
        #expect(held.first?.upstreamNow == (kind == .nxdomain ? "NXDOMAIN" : "NOERROR, no data"))
        #expect(held.first?.records == ["api.example.test. A 192.0.2.7"])
        #expect(held.first?.remainingSeconds == 900)
        // Later clients get it at once, without waiting on upstream.
        #expect(try harness.answersSynchronously(Self.name))
        Self.expectHeld(try await harness.ask(Self.name))
        #expect(harness.observer.count(.held) == 3)
        #expect(harness.resolver.heldNames().first?.answersServed == 3)
    }

    @Test func heldForExactlyCollapseHoldThenTheEmptyAnswerPassesThrough() async throws {
        let harness = Harness(collapseHoldSeconds: 600)
        Self.expectHeld(try await Self.collapsed(harness, .nxdomain))
        harness.clock.advance(seconds: 599)
        Self.expectHeld(try await harness.ask(Self.name))
        await harness.settle()
        harness.clock.advance(seconds: 1)
        let after = try await harness.ask(Self.name)
        #expect(after.rcode == .nxDomain)
        #expect(harness.resolver.holds.count == 0)
        // Not held again until the name has had an answer with data.
        harness.clock.advance(seconds: 120)
        #expect(try await harness.ask(Self.name).rcode == .nxDomain)
        #expect(harness.observer.collapseCount == 1)
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(Self.name, [192, 0, 2, 9], ttl: 60)], soa: nil))
        harness.clock.advance(seconds: 61)
        #expect(try await harness.ask(Self.name).answers.first?.data == .a([192, 0, 2, 9]))
        harness.clock.advance(seconds: 120)
        harness.upstream.script(try Self.empty(.nxdomain))
        Self.expectHeld(try await harness.ask(Self.name), [192, 0, 2, 9])
        #expect(harness.observer.collapseCount == 2)
    }

    @Test func reCheckedAtMostEvery30sAndEndedByTheFirstAnswerWithData() async throws {
        let harness = Harness()
        Self.expectHeld(try await Self.collapsed(harness))
        let askedAtCollapse = harness.upstream.asked
        // Asked again within 30 s: nothing goes upstream.
        harness.clock.advance(seconds: 29)
        Self.expectHeld(try await harness.ask(Self.name))
        await harness.settle()
        #expect(harness.upstream.asked == askedAtCollapse)
        // Past 30 s: one background re-check; still empty, still held.
        harness.clock.advance(seconds: 2)
        Self.expectHeld(try await harness.ask(Self.name))
        await harness.settle()
        #expect(harness.upstream.asked == askedAtCollapse + 1)
        // Upstream has data again: the next re-check ends the hold and the new data is served.
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(Self.name, [192, 0, 2, 10], ttl: 60)], soa: nil))
        harness.clock.advance(seconds: 31)
        Self.expectHeld(try await harness.ask(Self.name))
        await harness.settle()
        #expect(harness.resolver.holds.count == 0)
        let fresh = try await harness.ask(Self.name)
        #expect(fresh.answers.first?.data == .a([192, 0, 2, 10]))
        #expect(fresh.edns?.extendedErrorCodes == [])
    }

    @Test func releaseEndsTheHoldAndTheUpstreamAnswerPassesThrough() async throws {
        let harness = Harness()
        Self.expectHeld(try await Self.collapsed(harness, .nxdomain))
        #expect(harness.resolver.release(name: try DNSName(Self.name), type: .a) == 1)
        #expect(harness.resolver.heldNames().isEmpty)
        #expect(try await harness.ask(Self.name).rcode == .nxDomain)
        #expect(harness.resolver.release(name: try DNSName(Self.name), type: .a) == 0)
    }

    @Test func holdExtendsACollapseHold() async throws {
        let harness = Harness(collapseHoldSeconds: 600)
        Self.expectHeld(try await Self.collapsed(harness))
        harness.clock.advance(seconds: 500)
        guard case .success(let made) = harness.resolver.hold(name: try DNSName(Self.name), type: .a, seconds: 3600) else {
            Issue.record("hold refused")
            return
        }
        #expect(made.count == 1)
        #expect(made.first?.reason == .operator)
        #expect(made.first?.remainingSeconds == 3600)
        harness.clock.advance(seconds: 200)  // past the collapse hold's 600 s
        Self.expectHeld(try await harness.ask(Self.name))
        await harness.settle()
        harness.clock.advance(seconds: 3400)
        let after = try await harness.ask(Self.name)
        #expect(after.rcode == .noError)
        #expect(after.answers.isEmpty)
    }

    @Test func holdOfANameNeverCachedIsRefused() async throws {
        let harness = Harness()
        let refused = harness.resolver.hold(name: try DNSName("never.example.test"), type: .a, seconds: nil)
        #expect(refused == .failure(.noPositiveAnswer))
        // A negative entry is nothing to hold either.
        harness.upstream.script(try Self.empty(.nxdomain))
        _ = try await harness.ask("gone.example.test")
        #expect(harness.resolver.hold(name: try DNSName("gone.example.test"), type: .a, seconds: nil) == .failure(.noPositiveAnswer))
    }

    @Test func holdOfAFreshNameKeepsItThroughALaterCollapse() async throws {
        let harness = Harness(collapseHoldSeconds: 0)
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(Self.name, Self.old, ttl: 60)], soa: nil))
        _ = try await harness.ask(Self.name)
        guard case .success = harness.resolver.hold(name: try DNSName(Self.name), type: .a, seconds: nil) else {
            Issue.record("hold refused")
            return
        }
        // While fresh, the cache answers as usual.
        #expect(try await harness.ask(Self.name).answers.first?.ttl == 60)
        harness.clock.advance(seconds: 120)
        harness.upstream.script(try Self.empty(.nodata))
        Self.expectHeld(try await harness.ask(Self.name))
        #expect(harness.resolver.heldNames().first?.remainingSeconds == 900 - 120)  // 900 when collapse_hold_s is 0
    }

    @Test func oneProviderCollapsingWhileAnotherAnswersIsNoCollapse() async throws {
        let harness = Harness()
        harness.upstream.scriptOther("second", .answer(rcode: .noError, records: [try aRecord(Self.name, [192, 0, 2, 8], ttl: 60)], soa: nil))
        let answer = try await Self.collapsed(harness, .nxdomain)
        #expect(answer.rcode == .noError)
        #expect(answer.answers.first?.data == .a([192, 0, 2, 8]))
        #expect(answer.edns?.extendedErrorCodes == [])
        #expect(harness.upstream.confirmAsked == 1)
        #expect(harness.resolver.holds.count == 0)
        #expect(harness.observer.collapseCount == 0)
        let explained = await harness.resolver.explain(name: try DNSName(Self.name), type: .a)
        #expect(explained.source == "cache")
        #expect(explained.attempts == 0)
    }

    @Test func aCollapseIsConfirmedAtOneMoreProvider() async throws {
        let harness = Harness()
        harness.upstream.scriptOther("second", try Self.empty(.nodata))
        Self.expectHeld(try await Self.collapsed(harness, .nxdomain))
        #expect(harness.upstream.confirmAsked == 1)
        #expect(harness.observer.collapseCount == 1)
    }

    @Test(arguments: [UInt16(15), 16, 17, 18])
    func aFilteringEDEPassesThroughUnconfirmed(code: UInt16) async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(Self.name, Self.old, ttl: 60)], soa: nil))
        _ = try await harness.ask(Self.name)
        harness.clock.advance(seconds: 120)
        harness.upstream.script(.answerWithEDE(rcode: .nxDomain, code: code))
        let answer = try await harness.ask(Self.name)
        #expect(answer.rcode == .nxDomain)
        #expect(harness.upstream.confirmAsked == 0)
        #expect(harness.resolver.holds.count == 0)
    }

    @Test func aFilteringEDEEndsAHold() async throws {
        let harness = Harness()
        Self.expectHeld(try await Self.collapsed(harness, .nxdomain))
        harness.upstream.script(.answerWithEDE(rcode: .nxDomain, code: 17))
        harness.clock.advance(seconds: 31)
        Self.expectHeld(try await harness.ask(Self.name))  // served held, re-checked behind it
        await harness.settle()
        #expect(harness.resolver.holds.count == 0)
        let filtered = try await harness.ask(Self.name)
        #expect(filtered.rcode == .nxDomain)
        #expect(filtered.answers.isEmpty)
    }

    @Test func guardOffForUnlistedNamesWhenCollapseHoldIsZero() async throws {
        let harness = Harness(collapseHoldSeconds: 0)
        let answer = try await Self.collapsed(harness, .nodata)
        #expect(answer.answers.isEmpty)
        #expect(harness.upstream.confirmAsked == 0)
    }

    @Test func holdsAreKeptAcrossARestart() async throws {
        let harness = Harness(collapseHoldSeconds: 600)
        Self.expectHeld(try await Self.collapsed(harness))
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("www.example.test", [192, 0, 2, 20], ttl: 60)], soa: nil))
        _ = try await harness.ask("www.example.test")
        guard case .success = harness.resolver.hold(name: try DNSName("www.example.test"), type: .a, seconds: 7200) else {
            Issue.record("hold refused")
            return
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("holdfast-holds-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var snapshot = harness.cache.snapshot(now: harness.clock.nowMillis())
        snapshot.holds = harness.resolver.holdsForSnapshot()
        try CacheSnapshotFile.write(snapshot, to: path, wallClockNow: 1_800_000_000)

        // A new process 100 s later, upstream still empty.
        let restarted = Harness(collapseHoldSeconds: 600)
        let loaded = try CacheSnapshotFile.read(from: path, wallClockNow: 1_800_000_100)
        restarted.cache.restore(loaded, now: restarted.clock.nowMillis())
        #expect(restarted.resolver.restoreHolds(loaded.holds) == 2)
        restarted.upstream.script(try Self.empty(.nxdomain))
        Self.expectHeld(try await restarted.ask(Self.name))
        #expect(try await restarted.ask("www.example.test").answers.first?.data == .a([192, 0, 2, 20]))
        let held = restarted.resolver.heldNames()
        #expect(held.map(\.reason) == [.collapse, .operator])
        #expect(held.first?.remainingSeconds == 500)
        #expect(held.last?.remainingSeconds == 7100)
    }

    @Test func aCNAMEChainWhoseTargetCollapsesIsHeldWhole() async throws {
        let harness = Harness()
        let alias = DNSRecord(name: try DNSName("www.example.test"), type: .cname, ttl: 60, data: .name(try DNSName("lb.example.test")))
        harness.upstream.script(.answer(rcode: .noError, records: [alias, try aRecord("lb.example.test", Self.old, ttl: 60)], soa: nil))
        _ = try await harness.ask("www.example.test")
        harness.clock.advance(seconds: 120)
        harness.upstream.script(.answer(rcode: .noError, records: [alias], soa: try soaRecord("example.test")))
        let answer = try await harness.ask("www.example.test")
        #expect(answer.answers.map(\.type) == [.cname, .a])
        #expect(answer.answers.last?.data == .a(Self.old))
        #expect(harness.resolver.heldNames().first?.upstreamNow == "NOERROR, no data")
    }

    @Test func theAAAAOfANameWhoseAIsHeldIsItsOwnQuestion() async throws {
        let harness = Harness()
        Self.expectHeld(try await Self.collapsed(harness))
        // The AAAA never had data: its empty answer is not a collapse.
        let aaaa = try await harness.ask(Self.name, .aaaa)
        #expect(aaaa.answers.isEmpty)
        #expect(harness.resolver.heldNames().map(\.type) == ["A"])
    }

    @Test func theDOBitIsASeparateQuestion() async throws {
        let harness = Harness()
        Self.expectHeld(try await Self.collapsed(harness))
        // A DO query has its own (empty) cache entry and nothing positive to hold.
        let query = DNSMessage.makeQuery(id: 3, question: DNSQuestion(name: try DNSName(Self.name), type: .a), dnssecOK: true)
        let withDO = try await harness.send(query)
        #expect(withDO.answers.isEmpty)
        #expect(harness.resolver.heldNames().map(\.dnssecOK) == [false])
    }

    @Test func aReloadThatListsAHeldNameKeepsItUntilMaxAge() async throws {
        let harness = Harness(collapseHoldSeconds: 600)
        Self.expectHeld(try await Self.collapsed(harness))
        harness.resolver.reconfigure(ResolverConfiguration(
            lastKnownGood: LastKnownGoodPatterns([Self.name]), collapseHoldSeconds: 600))
        #expect(harness.resolver.heldNames().first?.reason == .lastKnownGood)
        harness.clock.advance(seconds: 3600)
        Self.expectHeld(try await harness.ask(Self.name))
        // max_age_s (86400) past the answer's expiry, 60 s after it was first cached.
        #expect(harness.resolver.heldNames().first?.remainingSeconds == 86_400 + 60 - 120 - 3600)
    }

    @Test func queryExplainsWhereTheAnswerCameFrom() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(Self.name, Self.old, ttl: 60)], soa: nil))
        let name = try DNSName(Self.name)
        let first = await harness.resolver.explain(name: name, type: .a)
        #expect(first.source == "upstream")
        #expect(first.provider == "scripted")
        #expect(first.server == "127.0.0.1:53")
        #expect(first.attempts == 1)
        #expect(first.rcode == "NOERROR")
        #expect(first.ttl == 60)
        #expect(first.answers == ["api.example.test. 60 IN A 192.0.2.7"])
        let cached = await harness.resolver.explain(name: name, type: .a)
        #expect(cached.source == "cache")
        #expect(cached.provider == nil)
        #expect(cached.attempts == 0)
        harness.clock.advance(seconds: 120)
        harness.upstream.script(try Self.empty(.nxdomain))
        let collapsed = await harness.resolver.explain(name: name, type: .a)
        #expect(collapsed.source == "held")
        #expect(collapsed.provider == "scripted")
        #expect(collapsed.extendedErrors == [3])
        #expect(collapsed.ttl == 30)
        let held = await harness.resolver.explain(name: name, type: .a)
        #expect(held.source == "held")
        #expect(held.attempts == 0)
        let local = await harness.resolver.explain(name: try DNSName("localhost"), type: .a)
        #expect(local.source == "local")
    }
}
