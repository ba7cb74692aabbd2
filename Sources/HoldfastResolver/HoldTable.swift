// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import Synchronization

/// Why a name is held.
public enum HoldReason: String, Sendable, Equatable, CaseIterable {
    /// Its positive answer collapsed (NXDOMAIN or empty, confirmed): `collapse_hold_s`.
    case collapse
    /// It collapsed and matches `resilience.last_known_good`: held until `max_age_s` past expiry.
    case lastKnownGood = "last_known_good"
    /// `holdfastctl hold`: until the operator's deadline.
    case `operator`
}

/// One name's last positive answer as the collapse guard keeps it (a hold, or the memory of
/// one that ended: the guard does not hold a name again until it had an answer with data).
public struct HeldAnswer: Sendable {
    public var key: CacheKey
    /// The last positive answer, served stale (TTL `answer_ttl_s`, EDE 3) while held.
    public var answer: StoredAnswer
    /// Clock milliseconds when that answer's TTL ran out; nothing is held `max_age_s` past it.
    public var positiveExpiresAt: UInt64
    /// Recorded reason: `.collapse` or `.operator` (last-known-good is derived from the config).
    public var reason: HoldReason
    /// When the hold began (clock milliseconds).
    public var since: UInt64
    /// Operator holds: when they end. Collapse holds end `collapse_hold_s` after `since`.
    public var operatorUntil: UInt64?
    /// False once the hold ended (expired or released); the record then only remembers the
    /// answer (for `holdfastctl hold`) and keeps the guard from holding the name again.
    public var active: Bool
    /// What upstream says now, e.g. "NXDOMAIN" or "NOERROR, no data"; nil when not asked yet.
    public var upstreamNow: String?
    /// Last time upstream was asked about it (clock milliseconds).
    public var lastChecked: UInt64
    /// Answers served from the hold.
    public var served: UInt64

    public init(key: CacheKey, answer: StoredAnswer, positiveExpiresAt: UInt64, reason: HoldReason, since: UInt64,
                operatorUntil: UInt64? = nil, active: Bool = true, upstreamNow: String? = nil, lastChecked: UInt64, served: UInt64 = 0) {
        self.key = key
        self.answer = answer
        self.positiveExpiresAt = positiveExpiresAt
        self.reason = reason
        self.since = since
        self.operatorUntil = operatorUntil
        self.active = active
        self.upstreamNow = upstreamNow
        self.lastChecked = lastChecked
        self.served = served
    }
}

/// The rules a hold is judged by, taken from the live configuration at each look.
struct HoldRules {
    var collapseHoldMillis: UInt64
    var maxAgeMillis: UInt64
    var isListed: (DNSName) -> Bool

    /// The reason shown: a collapse hold of a listed name is a last-known-good hold.
    func reason(of held: HeldAnswer) -> HoldReason {
        held.reason == .collapse && isListed(held.key.name) ? .lastKnownGood : held.reason
    }

    /// When the hold ends: the operator's deadline, `collapse_hold_s` after it began, or for a
    /// listed name `max_age_s` past expiry; never later than that.
    func until(_ held: HeldAnswer) -> UInt64 {
        let ceiling = held.positiveExpiresAt &+ maxAgeMillis
        switch reason(of: held) {
        case .operator: return min(held.operatorUntil ?? ceiling, ceiling)
        case .lastKnownGood: return ceiling
        case .collapse: return min(held.since &+ collapseHoldMillis, ceiling)
        }
    }
}

/// The collapse guard's memory: holds by cache key (name, type, class, DO) and the answers
/// they keep. Small (a hold is an incident), bounded, one lock; the query fast path reads an
/// atomic first and skips the lock while nothing is held.
public final class HoldTable: Sendable {
    private let records = Mutex<[CacheKey: HeldAnswer]>([:])
    /// Active holds (the fast path's check and the gauge).
    private let activeCount = Atomic<Int>(0)
    /// Records, active or remembered: an answer with data skips the lock while there are none.
    private let recordCount = Atomic<Int>(0)
    private let capacity: Int

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// Holds in force (as of the last look; `expire(now:rules:)` brings it up to date).
    public var count: Int { activeCount.load(ordering: .relaxed) }

    var isEmpty: Bool { count == 0 }

    /// The record for `key`, active or not.
    func record(_ key: CacheKey) -> HeldAnswer? {
        guard recordCount.load(ordering: .relaxed) > 0 else { return nil }
        return records.withLock { $0[key] }
    }

    /// Every record (tests, persistence).
    public func all() -> [HeldAnswer] { records.withLock { Array($0.values) } }

    /// Looks up an active hold for serving: nil when there is none or it just ended (then
    /// `ended` is that record, marked inactive). `recheck` is true when upstream should be
    /// asked again (at most every `recheckMillis`); it is claimed (lastChecked moves to now).
    func serve(_ key: CacheKey, now: UInt64, rules: HoldRules, recheckMillis: UInt64)
        -> (held: HeldAnswer?, ended: HeldAnswer?, recheck: Bool) {
        records.withLock { records in
            guard var held = records[key], held.active else { return (nil, nil, false) }
            if now >= rules.until(held) {
                held.active = false
                records[key] = held
                recount(records)
                return (nil, held, false)
            }
            held.served &+= 1
            let recheck = now &- held.lastChecked >= recheckMillis
            if recheck { held.lastChecked = now }
            records[key] = held
            return (held, nil, recheck)
        }
    }

    /// Starts (or replaces) a hold. False when the table is full of active holds.
    @discardableResult
    func hold(_ held: HeldAnswer) -> Bool {
        records.withLock { records in
            if records[held.key] == nil, records.count >= capacity {
                guard let victim = records.values.filter({ !$0.active }).min(by: { $0.since < $1.since }) else { return false }
                records[victim.key] = nil
            }
            records[held.key] = held
            recount(records)
            return true
        }
    }

    /// Updates an active hold after a recheck said upstream is still empty.
    func stillEmpty(_ key: CacheKey, upstreamNow: String, now: UInt64) {
        records.withLock { records in
            guard var held = records[key] else { return }
            held.upstreamNow = upstreamNow
            held.lastChecked = now
            records[key] = held
        }
    }

    /// An answer with data arrived: forget the name's hold and memory (the guard is armed again).
    /// Returns the hold that was active, if any.
    @discardableResult
    func answered(_ key: CacheKey) -> HeldAnswer? {
        guard recordCount.load(ordering: .relaxed) > 0 else { return nil }
        return records.withLock { records in
            guard let held = records.removeValue(forKey: key) else { return nil }
            recount(records)
            return held.active ? held : nil
        }
    }

    /// Ends the hold of one question, if active; the memory stays (see `release`).
    func end(_ key: CacheKey) -> HeldAnswer? {
        records.withLock { records in
            guard var held = records[key], held.active else { return nil }
            held.active = false
            records[key] = held
            recount(records)
            return held
        }
    }

    /// Counts an answer served from the hold of `key` outside `serve` (a fetch's outcome).
    func noteServed(_ key: CacheKey) {
        guard !isEmpty else { return }
        records.withLock { records in records[key]?.served &+= 1 }
    }

    /// Ends holds (every DO variant of `name` with `type`); the memory stays so the
    /// name is not held again until it had an answer with data. Returns how many ended.
    func release(name: DNSName, type: DNSType) -> [HeldAnswer] {
        records.withLock { records in
            var released: [HeldAnswer] = []
            for (key, var held) in records where key.name == name && key.type == type && held.active {
                held.active = false
                records[key] = held
                released.append(held)
            }
            recount(records)
            return released
        }
    }

    /// Marks holds past their end inactive, and forgets memories whose answer is past
    /// `max_age_s`. Returns the holds that ended.
    func expire(now: UInt64, rules: HoldRules) -> [HeldAnswer] {
        records.withLock { records in
            var ended: [HeldAnswer] = []
            for (key, var held) in records {
                if held.active, now >= rules.until(held) {
                    held.active = false
                    records[key] = held
                    ended.append(held)
                }
                if !held.active, now >= held.positiveExpiresAt &+ rules.maxAgeMillis { records[key] = nil }
            }
            recount(records)
            return ended
        }
    }

    /// Loads records (from the cache file at start); existing ones win.
    public func restore(_ loaded: [HeldAnswer]) {
        records.withLock { records in
            for held in loaded where records[held.key] == nil && records.count < capacity { records[held.key] = held }
            recount(records)
        }
    }

    private func recount(_ records: [CacheKey: HeldAnswer]) {
        activeCount.store(records.values.reduce(0) { $0 + ($1.active ? 1 : 0) }, ordering: .relaxed)
        recordCount.store(records.count, ordering: .relaxed)
    }
}

extension QueryResolver {
    /// The holds (active and remembered) for the cache file, times relative to now.
    public func holdsForSnapshot() -> [SnapshotHold] {
        let now = Int64(clamping: clock.nowMillis())
        return holds.all().map { held in
            SnapshotHold(
                key: held.key, answer: held.answer, positiveExpiresInMs: Int64(clamping: held.positiveExpiresAt) &- now,
                sinceAgoMs: now &- Int64(clamping: held.since), operatorUntilInMs: held.operatorUntil.map { Int64(clamping: $0) &- now },
                checkedAgoMs: now &- Int64(clamping: held.lastChecked), served: held.served, isOperator: held.reason == .operator,
                active: held.active, upstreamNow: held.upstreamNow)
        }
    }

    /// Loads holds from the cache file (at start); they go on where they were, aged by the
    /// time that passed. Returns how many are in force.
    @discardableResult
    public func restoreHolds(_ loaded: [SnapshotHold]) -> Int {
        let now = Int64(clamping: clock.nowMillis())
        func at(_ offset: Int64) -> UInt64 {
            let (sum, overflow) = now.addingReportingOverflow(offset)
            if overflow { return offset > 0 ? UInt64(Int64.max) : 0 }
            return UInt64(max(0, sum))
        }
        holds.restore(loaded.map { hold in
            HeldAnswer(
                key: hold.key, answer: hold.answer, positiveExpiresAt: at(hold.positiveExpiresInMs), reason: hold.isOperator ? .operator : .collapse,
                since: at(-hold.sinceAgoMs), operatorUntil: hold.operatorUntilInMs.map(at), active: hold.active,
                upstreamNow: hold.upstreamNow, lastChecked: at(-hold.checkedAgoMs), served: hold.served)
        })
        return expireHolds()
    }
}
