/// The retry budget: attempts beyond a question's first (hedges, retries at other servers and
/// providers, resends after a silence) are limited to `percent` of the questions of the last
/// 10 s, but at least `floorPerSecond` per second, so when upstreams fail the load on them does
/// not multiply. Pure: every call takes `now`; ten one-second buckets, no allocation.
struct RetryBudget: Sendable, Equatable {
    static let windowSeconds = 10

    private struct Bucket: Sendable, Equatable {
        var second: Int64 = .min
        var questions = 0
        var extras = 0
    }

    let percent: Int
    let floorPerSecond: Int
    private var buckets = [Bucket](repeating: Bucket(), count: RetryBudget.windowSeconds)
    /// Extra attempts refused so far.
    private(set) var exhausted: UInt64 = 0

    init(percent: Int, floorPerSecond: Int = 10) {
        self.percent = max(0, percent)
        self.floorPerSecond = max(0, floorPerSecond)
    }

    /// A question started (its first attempt is never limited).
    mutating func questionStarted(now: ContinuousClock.Instant) {
        buckets[index(for: now)].questions += 1
    }

    /// Asks for one extra attempt; true (and counted) when the budget allows it.
    mutating func spendExtra(now: ContinuousClock.Instant) -> Bool {
        let current = index(for: now)
        let second = Self.second(of: now)
        var questions = 0
        var extras = 0
        for bucket in buckets where bucket.second > second - Int64(Self.windowSeconds) {
            questions += bucket.questions
            extras += bucket.extras
        }
        let allowed = extras * 100 < questions * percent || buckets[current].extras < floorPerSecond
        if allowed {
            buckets[current].extras += 1
        } else {
            exhausted += 1
        }
        return allowed
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
