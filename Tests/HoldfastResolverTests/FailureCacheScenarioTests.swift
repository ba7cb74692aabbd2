// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import HoldfastResolver
import Testing

/// The failure cache (RFC 9520) on the manual clock: a question whose every attempt failed is
/// not sent upstream again for failure_ttl_s, doubling up to failure_max_ttl_s.
@Suite struct FailureCacheScenarioTests {
    let name = "www.broken.test"

    @Test("One broken name asked 20 times in 2 seconds goes upstream once; every ask is SERVFAIL with EDE 22")
    func brokenNameAskedTwentyTimes() async throws {
        let harness = Harness()
        harness.upstream.script(.fail)
        for ask in 0..<20 {
            let answer = try await harness.ask(name, id: UInt16(ask))
            #expect(answer.rcode == .serverFailure)
            #expect(answer.header.id == UInt16(ask))
            #expect(answer.edns?.extendedErrorCodes == [ExtendedDNSError.noReachableAuthority])
            harness.clock.advance(millis: 100)
        }
        #expect(harness.upstream.asked == 1, "one question's attempts per failure TTL")
        #expect(harness.observer.failureCacheHits == 19)
        // Answered synchronously, on the reading thread, while the failure lasts.
        #expect(try harness.answersSynchronously(name))
    }

    @Test("The failure TTL starts at failure_ttl_s and doubles on each further failure up to failure_max_ttl_s")
    func ttlDoublesUpToTheMaximum() async throws {
        let harness = Harness(failureTTLSeconds: 5, failureMaxTTLSeconds: 60)
        harness.upstream.script(.fail)
        var expectedAsks = 0
        for ttl: UInt64 in [5, 10, 20, 40, 60, 60] {
            _ = try await harness.ask(name)
            expectedAsks += 1
            #expect(harness.upstream.asked == expectedAsks)
            harness.clock.advance(millis: ttl * 1000 - 1)
            _ = try await harness.ask(name)
            #expect(harness.upstream.asked == expectedAsks, "still remembered \(ttl * 1000 - 1) ms in")
            harness.clock.advance(millis: 1)
        }
    }

    @Test("A success clears the failure: the next failure is remembered for failure_ttl_s again")
    func successClears() async throws {
        let harness = Harness(failureTTLSeconds: 5, failureMaxTTLSeconds: 60)
        harness.upstream.script(.fail)
        _ = try await harness.ask(name)
        harness.clock.advance(seconds: 5)
        _ = try await harness.ask(name)  // second failure: 10 s
        harness.clock.advance(seconds: 10)
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(name, [192, 0, 2, 9], ttl: 1)], soa: nil))
        #expect(try await harness.ask(name).rcode == .noError)
        harness.clock.advance(seconds: 2)  // the answer expired
        harness.upstream.script(.fail)
        let stale = try await harness.ask(name)  // fails; stale data is served
        #expect(stale.edns?.extendedErrorCodes == [ExtendedDNSError.staleAnswer])
        let asked = harness.upstream.asked
        harness.cache.flush(name: try DNSName(name))  // no stale data: only the failure cache decides
        harness.clock.advance(seconds: 4)
        _ = try await harness.ask(name)
        #expect(harness.upstream.asked == asked, "remembered for 5 s")
        harness.clock.advance(seconds: 1)
        _ = try await harness.ask(name)
        #expect(harness.upstream.asked == asked + 1, "5 s after the last failure, not 20")
    }

    @Test("While a failure is remembered, stale data is answered at once and nothing goes upstream")
    func staleDataWinsOverServfail() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(name, [192, 0, 2, 7], ttl: 10)], soa: nil))
        _ = try await harness.ask(name)
        harness.clock.advance(seconds: 11)
        harness.upstream.script(.fail)
        _ = try await harness.ask(name)  // the refresh fails
        let asked = harness.upstream.asked
        for _ in 0..<5 {
            let answer = try await harness.ask(name)
            #expect(answer.rcode == .noError)
            #expect(answer.answers.first?.data == .a([192, 0, 2, 7]))
            #expect(answer.edns?.extendedErrorCodes == [ExtendedDNSError.staleAnswer])
        }
        #expect(harness.upstream.asked == asked)
    }

    @Test("A remembered failure never hides a cached answer")
    func neverHidesAnAnswer() async throws {
        let harness = Harness()
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord(name, [192, 0, 2, 8], ttl: 300)], soa: nil))
        _ = try await harness.ask(name)
        harness.resolver.failures.recordFailure(CacheKey(name: try DNSName(name), type: .a), now: harness.clock.nowMillis())
        let answer = try await harness.ask(name)
        #expect(answer.rcode == .noError)
        #expect(answer.answers.first?.data == .a([192, 0, 2, 8]))
        #expect(harness.observer.failureCacheHits == 0)
    }

    @Test("failure_ttl_s = 0 turns it off: every ask goes upstream")
    func off() async throws {
        let harness = Harness(failureTTLSeconds: 0)
        harness.upstream.script(.fail)
        for _ in 0..<3 { _ = try await harness.ask(name) }
        #expect(harness.upstream.asked == 3)
    }

    @Test("Other types and names are not affected by one question's failure")
    func perQuestion() async throws {
        let harness = Harness()
        harness.upstream.script(.fail)
        _ = try await harness.ask(name)
        harness.upstream.script(.answer(rcode: .noError, records: [try aRecord("ok.test", [192, 0, 2, 1])], soa: nil))
        #expect(try await harness.ask("ok.test").rcode == .noError)
        _ = try await harness.ask(name, .aaaa)
        #expect(harness.upstream.asked == 3)
    }
}

/// Graceful shutdown waits on the fetches themselves.
@Suite struct DrainTests {
    @Test("drain returns when the last fetch completes, after its clients were answered")
    func drainWaitsForTheFetch() async throws {
        let harness = Harness()
        harness.upstream.script(.hang)
        let answered = AsyncStream<DNSRCode>.makeStream()
        let bytes = DNSMessage.makeQuery(id: 9, question: DNSQuestion(name: try DNSName("slow.test"), type: .a))
        guard case .resolve(let query) = bytes.withUnsafeBytes({ harness.resolver.handle($0, transport: .udp, client: ClientEndpoint()) }) else {
            Issue.record("expected a miss")
            return
        }
        harness.resolver.resolve(query) { reply in
            answered.continuation.yield((try? DNSMessage(parsing: reply.bytes(for: query)))?.rcode ?? .formatError)
        }
        #expect(harness.resolver.inFlightCount == 1)
        let started = ContinuousClock.now
        async let drained: Void = harness.resolver.drain(timeout: .seconds(30))
        for _ in 0..<1000 where harness.upstream.asked == 0 { try await Task.sleep(for: .milliseconds(5)) }
        harness.upstream.releaseHangs()  // the fetch ends (a timeout: SERVFAIL for the client)
        await drained
        #expect(ContinuousClock.now - started < .seconds(10), "returned on the fetch's end, not the time bound")
        var iterator = answered.stream.makeAsyncIterator()
        #expect(await iterator.next() == .serverFailure)
        #expect(harness.resolver.inFlightCount == 0)
    }

    @Test("drain gives up after its time bound when a fetch never ends")
    func drainIsBounded() async throws {
        let harness = Harness()
        harness.upstream.script(.hang)
        let bytes = DNSMessage.makeQuery(id: 9, question: DNSQuestion(name: try DNSName("stuck.test"), type: .a))
        guard case .resolve(let query) = bytes.withUnsafeBytes({ harness.resolver.handle($0, transport: .udp, client: ClientEndpoint()) }) else {
            Issue.record("expected a miss")
            return
        }
        harness.resolver.resolve(query) { _ in }
        await harness.resolver.drain(timeout: .milliseconds(200))
        #expect(harness.resolver.inFlightCount == 1)
        harness.upstream.releaseHangs()
    }
}
