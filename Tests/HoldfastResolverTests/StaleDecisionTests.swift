// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import HoldfastResolver

/// The one serve-stale decision, every case, no clock or cache.
@Suite struct StaleDecisionTests {
    typealias Inputs = StaleDecision.Inputs

    @Test("With stale data", arguments: [
        (Inputs(hasStale: true), StaleDecision.fetch(staleFallback: true)),
        (Inputs(hasStale: true, refreshRecentlyFailed: true), .answerStale),
        (Inputs(hasStale: true, upstreamKnownDown: true), .answerStale),
        (Inputs(hasStale: true, recentlyFailed: true), .answerStale),
    ])
    func withStaleData(inputs: Inputs, expected: StaleDecision) {
        #expect(StaleDecision.beforeFetch(inputs) == expected)
    }

    @Test("Without stale data", arguments: [
        (Inputs(hasStale: false), StaleDecision.fetch(staleFallback: false)),
        (Inputs(hasStale: false, upstreamKnownDown: true), .servfail),
        (Inputs(hasStale: false, recentlyFailed: true), .servfail),
    ])
    func withoutStaleData(inputs: Inputs, expected: StaleDecision) {
        #expect(StaleDecision.beforeFetch(inputs) == expected)
    }

    @Test func afterAFailedFetch() {
        #expect(StaleDecision.afterFailure(hasStale: true) == .answerStale)
        #expect(StaleDecision.afterFailure(hasStale: false) == .servfail)
    }
}
