// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The retry budget. What multiplies load on failing upstreams is an attempt sent while another
/// attempt of the same question is still live: a hedge, a move to the next server after an RTO
/// of silence, a resend to the same server. Those *extra* attempts are allowed while they stay
/// under `percent` of the questions of the last 10 s, and beyond that from a reserve: a bucket
/// of `reservePerSecond × 10` tokens, full at start (a fresh daemon has the room of a busy one),
/// refilled at `reservePerSecond` a second, which a burst may empty at once.
///
/// Not budgeted (the callers never ask): a question's first attempt, the move to the next server
/// after an attempt *failed* (its load is over), `race`'s one attempt per provider, and probes.
/// Pure: every call takes `now`; ten one-second buckets, no allocation.
struct RetryBudget: Sendable, Equatable {
    static let windowSeconds = 10

    private struct Bucket: Sendable, Equatable {
        var second: Int64 = .min
        var questions = 0
        var extras = 0
    }

    let percent: Int
    let reservePerSecond: Int
    private var buckets = [Bucket](repeating: Bucket(), count: RetryBudget.windowSeconds)
    /// Reserve tokens left, and when they were last refilled.
    private(set) var reserve: Double
    private var refilledAt: ContinuousClock.Instant?
    /// Extra attempts refused so far.
    private(set) var exhausted: UInt64 = 0

    init(percent: Int, reservePerSecond: Int = 10) {
        self.percent = max(0, percent)
        self.reservePerSecond = max(0, reservePerSecond)
        self.reserve = Double(self.reservePerSecond * Self.windowSeconds)
    }

    /// The reserve's size: ten seconds of `reservePerSecond`.
    var reserveCapacity: Int { reservePerSecond * Self.windowSeconds }

    /// A question started (its first attempt is never limited).
    mutating func questionStarted(now: ContinuousClock.Instant) {
        buckets[index(for: now)].questions += 1
    }

    /// Asks for one extra attempt; true (and counted) when the budget allows it.
    mutating func spendExtra(now: ContinuousClock.Instant) -> Bool {
        refill(now: now)
        let current = index(for: now)
        let second = Self.second(of: now)
        var questions = 0
        var extras = 0
        for bucket in buckets where bucket.second > second - Int64(Self.windowSeconds) {
            questions += bucket.questions
            extras += bucket.extras
        }
        var allowed = extras * 100 < questions * percent
        if !allowed && reserve >= 1 {
            reserve -= 1
            allowed = true
        }
        if allowed {
            buckets[current].extras += 1
        } else {
            exhausted += 1
        }
        return allowed
    }

    private mutating func refill(now: ContinuousClock.Instant) {
        defer { refilledAt = now }
        guard let refilledAt, now > refilledAt else { return }
        let (seconds, attoseconds) = (now - refilledAt).components
        let elapsed = Double(seconds) + Double(attoseconds) / 1e18
        reserve = min(Double(reserveCapacity), reserve + elapsed * Double(reservePerSecond))
    }

    /// The bucket for `now`'s second, emptied if it last held an older second.
    private mutating func index(for now: ContinuousClock.Instant) -> Int {
        let second = Self.second(of: now)
        let index = Int(((second % Int64(Self.windowSeconds)) + Int64(Self.windowSeconds)) % Int64(Self.windowSeconds))
        if buckets[index].second != second { buckets[index] = Bucket(second: second) }
        return index
    }

    private static let origin = ContinuousClock.now

    private static func second(of instant: ContinuousClock.Instant) -> Int64 {
        let (seconds, attoseconds) = (instant - origin).components
        return attoseconds < 0 ? seconds - 1 : seconds
    }
}
