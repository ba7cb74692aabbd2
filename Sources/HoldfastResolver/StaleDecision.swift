// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The one serve-stale decision (RFC 8767, with the RFC 9520 failure cache), as a pure function
/// of what the cache holds and what is known upstream: answer stale now, SERVFAIL now, or go
/// upstream — and, with stale data to fall back on, answer it stale once the fetch has been
/// silent for `client_timeout_ms`. The resolver asks it before a fetch (`beforeFetch`) and
/// when a fetch ends without an answer (`afterFailure`); nothing else decides staleness.
enum StaleDecision: Equatable {
    /// Answer the expired data now (TTL `answer_ttl_s`, EDE 3).
    case answerStale
    /// Answer the expired data now, and refresh it upstream in the background: every server
    /// that could answer is down or suspect, so waiting would only wait out known trouble.
    case answerStaleAndRefresh
    /// Nothing to answer with: SERVFAIL (EDE 22) now.
    case servfail
    /// Go upstream. With `staleFallback`, the client gets the stale answer if the fetch is still
    /// silent `client_timeout_ms` after it started.
    case fetch(staleFallback: Bool)

    /// What is known when a query missed the fresh cache.
    struct Inputs: Equatable {
        /// The cache holds expired data still inside the stale window.
        var hasStale: Bool
        /// A refresh of that data failed less than RFC 8767's recheck time ago.
        var refreshRecentlyFailed = false
        /// Every upstream server that could answer the name is marked down.
        var upstreamKnownDown = false
        /// Every upstream server that could answer the name is down or suspect.
        var noHealthyServer = false
        /// The question is in the failure cache.
        var recentlyFailed = false
    }

    /// Before a fetch: when nothing upstream can answer now (known down, the question failed
    /// recently, the data's refresh failed recently), answer at once — stale if there is data,
    /// else SERVFAIL; when every server is down or suspect, stale data is answered at once and
    /// refreshed behind it; otherwise fetch, falling back to stale data if there is any.
    static func beforeFetch(_ inputs: Inputs) -> StaleDecision {
        if inputs.hasStale {
            if inputs.refreshRecentlyFailed || inputs.upstreamKnownDown || inputs.recentlyFailed { return .answerStale }
            if inputs.noHealthyServer { return .answerStaleAndRefresh }
            return .fetch(staleFallback: true)
        }
        if inputs.upstreamKnownDown || inputs.recentlyFailed { return .servfail }
        return .fetch(staleFallback: false)
    }

    /// A fetch ended without an answer (every attempt failed, every server went down, or the
    /// client's stale deadline passed): stale data if there is any, else SERVFAIL.
    static func afterFailure(hasStale: Bool) -> StaleDecision {
        hasStale ? .answerStale : .servfail
    }
}
