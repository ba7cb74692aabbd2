// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import HoldfastUpstream

@Suite struct SmoothedRTTTests {
    @Test func unmeasuredServerStartsConservative() {
        let rtt = SmoothedRTT(ceilingMs: 1000)
        #expect(rtt.rtoMs == 376)
        #expect(rtt.smoothed == nil)
    }

    @Test func fastServerClampsToFloorAndSlowToCeiling() {
        var fast = SmoothedRTT(ceilingMs: 1000)
        var slow = SmoothedRTT(ceilingMs: 300)
        for _ in 0..<20 {
            fast.update(sampleMs: 1)
            slow.update(sampleMs: 400)
        }
        #expect(fast.rtoMs == 50)
        #expect(slow.rtoMs == 300)
        #expect(abs((fast.smoothed ?? 0) - 1) < 0.01)
    }

    @Test func convergesTowardsNewLatencyAndFollowsJitter() {
        var rtt = SmoothedRTT(ceilingMs: 5000)
        for _ in 0..<50 { rtt.update(sampleMs: 100) }
        #expect(abs(rtt.srttMs - 100) < 1)
        rtt.update(sampleMs: 300)
        #expect(rtt.srttMs == 125)  // one eighth of the jump
        #expect(rtt.rtoMs > 125 + 4 * 40)
    }

    @Test func timeoutDoublesUntilCeiling() {
        var rtt = SmoothedRTT(ceilingMs: 1000)
        rtt.timedOut()
        #expect(rtt.rtoMs == 752)
        rtt.timedOut()
        #expect(rtt.rtoMs == 1000)
    }
}

/// The health state machine on its own: instants passed by hand, no sockets. Suspect after
/// `failure_threshold` failures in a row or a silence past an RTO; down only when the probe of a
/// suspect server fails; any answer clears it.
@Suite struct ServerHealthTests {
    let start = ContinuousClock.now

    @Test(arguments: [1, 3, 5])
    func suspectAfterThresholdFailuresInARowThenDownWhenItsProbeFails(threshold: Int) {
        var health = ServerHealth(failureThreshold: threshold, probeInterval: .seconds(5))
        for index in 1..<threshold {
            #expect(health.questionFailed(.serverFailure, now: start + .milliseconds(index)) == .none)
            #expect(health.isHealthy, "fewer than failure_threshold failures leave the server healthy")
        }
        #expect(health.questionFailed(.serverFailure, now: start + .milliseconds(threshold)) == .sendProbe)
        #expect(health.isSuspect && health.isUp)
        health.probeSent(now: start + .milliseconds(threshold))
        #expect(health.questionFailed(.serverFailure, now: start + .milliseconds(threshold + 1)) == .none)
        #expect(health.isUp, "failures alone never mark a server down")
        #expect(health.probeFailed(.serverFailure, now: start + .milliseconds(100)) == .markedDown)
        #expect(!health.isUp)
        #expect(health.lastError == .serverFailure)
        #expect(health.questionFailed(.timeout, now: start + .seconds(1)) == .none)
    }

    @Test("A silence past an RTO makes the server suspect at once, but is no failure")
    func silenceMakesSuspectWithoutCounting() {
        var health = ServerHealth(failureThreshold: 3, probeInterval: .seconds(5))
        #expect(health.silentPastRTO(now: start) == .sendProbe)
        #expect(health.isSuspect)
        #expect(health.consecutiveFailures == 0)
        health.probeSent(now: start)
        #expect(health.silentPastRTO(now: start + .milliseconds(50)) == .none, "one probe in flight")
        #expect(health.isUp)
    }

    @Test("A server that answered in 1 ms and now takes 400 ms (timeout 1000 ms) is never marked down")
    func aSlowServerIsNotADeadOne() {
        var health = ServerHealth(failureThreshold: 3, probeInterval: .seconds(5))
        #expect(health.questionAnswered(now: start) == .none)  // 1 ms, a moment ago
        // Thirty questions silent past the 50 ms RTO floor: suspect, one probe.
        #expect(health.silentPastRTO(now: start + .milliseconds(51)) == .sendProbe)
        health.probeSent(now: start + .milliseconds(51))
        for index in 1..<30 { #expect(health.silentPastRTO(now: start + .milliseconds(51 + index)) == .none) }
        // The answers (and the probe's) arrive after 400 ms: healthy again, never down.
        #expect(health.questionAnswered(now: start + .milliseconds(451)) == .cleared)
        #expect(health.isHealthy)
        #expect(health.probeAnswered(now: start + .milliseconds(452)) == .none)
        #expect(health.probe == .idle)
    }

    @Test func aProbeThatFailsAfterTheServerWasClearedMarksNothingDown() {
        var health = ServerHealth(failureThreshold: 3, probeInterval: .seconds(5))
        _ = health.silentPastRTO(now: start)
        health.probeSent(now: start)
        #expect(health.questionAnswered(now: start + .milliseconds(10)) == .cleared)
        #expect(health.probeFailed(.timeout, now: start + .seconds(1)) == .none)
        #expect(health.isHealthy)
    }

    @Test func answeredProbeClearsTheCountSoBrokenNamesMarkNobodyDown() {
        var health = ServerHealth(failureThreshold: 3, probeInterval: .seconds(5))
        // Twenty rounds of names that fail everywhere, each run cleared by the probe of a good name.
        for round in 0..<20 {
            let now = start + .milliseconds(round * 10)
            #expect(health.questionFailed(.serverFailure, now: now) == .none)
            #expect(health.questionFailed(.serverFailure, now: now) == .none)
            #expect(health.questionFailed(.serverFailure, now: now) == .sendProbe)
            health.probeSent(now: now)
            #expect(health.questionFailed(.serverFailure, now: now) == .none)  // probe in flight
            #expect(health.probeAnswered(now: now) == .cleared)
            #expect(health.consecutiveFailures == 0)
        }
        #expect(health.isHealthy)
    }

    @Test func anAnswerInBetweenResetsTheCount() {
        var health = ServerHealth(failureThreshold: 3, probeInterval: .seconds(5))
        _ = health.questionFailed(.timeout, now: start)
        _ = health.questionFailed(.timeout, now: start)
        #expect(health.questionAnswered(now: start) == .none)
        #expect(health.consecutiveFailures == 0)
        #expect(health.questionFailed(.timeout, now: start) == .none)
        #expect(health.questionFailed(.timeout, now: start) == .none)
        #expect(health.isHealthy)
    }

    @Test func downServerIsProbedEveryIntervalAndComesBackOnSuccess() {
        var health = ServerHealth(failureThreshold: 1, probeInterval: .seconds(5))
        #expect(!health.isProbeDue(now: start + .seconds(100)))  // up: never probed
        #expect(health.questionFailed(.refused, now: start) == .sendProbe)
        health.probeSent(now: start)
        #expect(health.probeFailed(.refused, now: start) == .markedDown)
        #expect(!health.isProbeDue(now: start + .seconds(4)))
        #expect(health.isProbeDue(now: start + .seconds(5)))
        health.probeSent(now: start + .seconds(5))
        #expect(health.probeFailed(.refused, now: start + .seconds(5)) == .none)
        #expect(!health.isProbeDue(now: start + .seconds(9)))
        #expect(health.isProbeDue(now: start + .seconds(10)))
        health.probeSent(now: start + .seconds(10))
        #expect(health.probeAnswered(now: start + .seconds(10)) == .markedUp)
        #expect(health.isHealthy)
        #expect(health.nextProbeAt == nil)
    }

    @Test func lateAnswerToAQuestionBringsADownServerBack() {
        var health = ServerHealth(failureThreshold: 1, probeInterval: .seconds(5))
        _ = health.questionFailed(.timeout, now: start)
        health.probeSent(now: start)
        #expect(health.probeFailed(.timeout, now: start) == .markedDown)
        #expect(health.questionAnswered(now: start + .seconds(1)) == .markedUp)
    }
}


@Suite struct RouteTableTests {
    @Test(arguments: [
        ("www.example.org", ["public"]),
        ("corp.example", ["corp"]),
        ("a.B.Corp.Example", ["corp"]),
        ("x.lab.corp.example", ["lab", "corp"]),
        ("notcorp.example", ["public"]),
    ])
    func longestSuffixWinsAndRoutedProvidersServeOnlyTheirRoutes(name: String, expected: [String]) throws {
        let configuration = UpstreamConfiguration(
            policy: .failover, timeoutMs: 1000, hedgeAfterMs: 0, failureThreshold: 3, probeIntervalSeconds: 5,
            providers: ["public", "corp", "lab"].map { .init(name: $0, servers: [UpstreamServerAddress(host: "127.0.0.1")]) },
            routes: [
                .init(domains: [try .init("corp.example")], providers: ["corp"]),
                .init(domains: [try .init("lab.corp.example")], providers: ["lab", "corp"]),
            ],
            randomizeCase: true, rotateAfterQueries: .never, retryBudgetPercent: 20, retryBudgetMinPerSecond: 10, tlsIdleTimeoutMs: 10_000)
        let table = RouteTable(configuration)
        let names = table.providers(for: try .init(name)).map { configuration.providers[$0].name }
        #expect(names == expected)
    }
}

@Suite struct ServerAddressTests {
    @Test(arguments: [
        ("127.0.0.1:5353", "127.0.0.1", 5353), ("127.0.0.1", "127.0.0.1", 53),
        ("[::1]:5300", "::1", 5300), ("::1", "::1", 53),
    ])
    func parses(text: String, host: String, port: Int) {
        let address = UpstreamServerAddress(parsing: text)
        #expect(address?.host == host)
        #expect(address?.port == UInt16(port))
    }

    @Test(arguments: ["dns.example", "127.0.0.1:x", "[::1", "300.1.1.1"])
    func rejects(text: String) {
        #expect(UpstreamServerAddress(parsing: text) == nil)
    }
}
