// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

/// Health as an operator sees it through /health, /metrics and `holdfastctl health` while
/// providers are taken down (by queries that fail at them) and restored (by probes).
@Suite("holdfastd health follows its providers", .serialized)
struct ObservabilityHealthTests {
    /// What every view must agree on at one stage.
    struct Stage: Sendable, CustomStringConvertible {
        var status: String
        var httpStatus: Int
        var ctlExit: Int32
        var providersUp: Int
        /// Providers whose every server's up gauge is 0.
        var down: [String]
        var description: String { status }
    }

    static let ok = Stage(status: "ok", httpStatus: 200, ctlExit: 0, providersUp: 2, down: [])
    static let degraded = Stage(status: "degraded", httpStatus: 200, ctlExit: 1, providersUp: 1, down: ["p1"])
    static let failing = Stage(status: "failing", httpStatus: 503, ctlExit: 2, providersUp: 0, down: ["p1", "p2"])

    @Test func okThenDegradedThenFailingThenOkAgain() async throws {
        let stack = try await ObservedStack.start(failFast: true)
        try await expect(stack, Self.ok)

        // p1 refuses: the next question fails there (one failure marks it down) and p2 answers.
        try await stack.upstreams[0].setBehaviour(.closed)
        #expect(try await stack.ask("first-down.example.test").rcode == .noError)
        try await expect(stack, Self.degraded)

        // p2 refuses too: the next question has nowhere to go.
        try await stack.upstreams[1].setBehaviour(.closed)
        #expect(try await stack.ask("both-down.example.test").rcode == .serverFailure)
        try await expect(stack, Self.failing)

        // Both come back: probes (every second) find them and health returns to ok by itself.
        try await stack.restore(0)
        try await stack.restore(1)
        try await expect(stack, Self.ok, waitingUpTo: .seconds(15))
        #expect(try await stack.ask("recovered.example.test").rcode == .noError)
        await stack.stop()
    }

    @Test func blackholedProvidersTimeOutAndHealthFails() async throws {
        let stack = try await ObservedStack.start(failFast: true) { $0.timeoutMs = 300 }
        try await stack.upstreams[0].setBehaviour(.blackhole)
        try await stack.upstreams[1].setBehaviour(.blackhole)
        _ = try await stack.ask("silence.example.test")
        try await expect(stack, Self.failing, waitingUpTo: .seconds(10))
        let upstreams = try await stack.json("/upstreams")
        for provider in upstreams["providers"].array {
            #expect(provider["servers"][0]["last_error"].string?.contains("timeout") == true, "\(provider)")
        }
        // Each attempt is counted when c-ares gives up on it (timeout_ms), after the RTO marked it down.
        let counted = await eventually(timeout: .seconds(5)) {
            ((try? await stack.metrics())?.sum("holdfast_upstream_requests_total", ["outcome": "timeout"]) ?? 0) >= 2
        }
        #expect(counted)
        try await stack.upstreams[0].setBehaviour(.normal)
        try await expect(stack, Self.degraded.with(down: ["p2"]), waitingUpTo: .seconds(15))
        await stack.stop()
    }

    /// Waits (bounded) until /health reports `stage.status`, then checks every other view.
    private func expect(
        _ stack: ObservedStack, _ stage: Stage, waitingUpTo timeout: Duration = .seconds(5),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let reached = await eventually(timeout: timeout) { (try? await stack.healthStatus()) == stage.status }
        let reply = try await stack.get("/health")
        #expect(reached, "health never became \(stage): \(reply)", sourceLocation: sourceLocation)
        guard reached else { return }
        #expect(reply.status == stage.httpStatus, "\(reply)", sourceLocation: sourceLocation)
        let health = try #require(reply.json, sourceLocation: sourceLocation)
        #expect(health["providers_up"].int == stage.providersUp, "\(health)", sourceLocation: sourceLocation)
        let reasons = health["reasons"].array.compactMap(\.string)
        #expect(reasons.count == stage.down.count, "\(reasons)", sourceLocation: sourceLocation)
        for provider in stage.down {
            #expect(reasons.contains { $0.contains(provider) }, "\(reasons)", sourceLocation: sourceLocation)
        }
        let metrics = try await stack.metrics()
        for provider in ["p1", "p2"] {
            let up = metrics.sum("holdfast_upstream_up", ["provider": provider])
            #expect(up == (stage.down.contains(provider) ? 0 : 1), "\(provider) up gauge", sourceLocation: sourceLocation)
        }
        let ctl = try await stack.ctl(["health"])
        #expect(ctl.status == stage.ctlExit, "\(ctl)", sourceLocation: sourceLocation)
        #expect(ctl.stdout.hasPrefix(stage.status), "\(ctl)", sourceLocation: sourceLocation)
    }
}

extension ObservabilityHealthTests.Stage {
    func with(down: [String]) -> Self {
        var copy = self
        copy.down = down
        return copy
    }
}
