// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import Synchronization

/// The failure cache (RFC 9520): questions (name, type, class, DO) whose every upstream attempt
/// failed, remembered for a while so they are not sent upstream again at once. Owns only the
/// failures; cached answers live in `DNSCache` and always win (the resolver consults this only
/// when the cache has no fresh answer).
///
/// A first failure is remembered for `ttl`; each further failure of the same question while it
/// is remembered, or within `maxTTL` after it was forgotten, doubles that, up to `maxTTL`. A
/// success clears it. Bounded: at `capacity` entries, expired ones are dropped, then the
/// soonest to expire.
public final class FailureCache: Sendable {
    /// What is known of one failed question.
    public struct Entry: Sendable, Equatable {
        /// Until when (clock milliseconds) the question is not sent upstream.
        public var untilMillis: UInt64
        /// How long this failure is remembered (milliseconds); doubles on each further failure.
        public var ttlMillis: UInt64
        /// Failures in a row.
        public var failures: Int
    }

    private struct State {
        var entries: [CacheKey: Entry] = [:]
        var ttlMillis: UInt64
        var maxTTLMillis: UInt64
    }

    private let state: Mutex<State>
    /// Entries held, read without the lock so the miss path skips it when nothing failed.
    private let count = Atomic<Int>(0)
    private let capacity: Int

    /// `ttlSeconds` 0 turns the cache off.
    public init(ttlSeconds: Int, maxTTLSeconds: Int, capacity: Int = 10_000) {
        self.state = Mutex(State(ttlMillis: Self.millis(ttlSeconds), maxTTLMillis: Self.millis(max(ttlSeconds, maxTTLSeconds))))
        self.capacity = max(1, capacity)
    }

    /// SIGHUP: new TTLs for failures from now on; 0 also forgets every failure.
    public func reconfigure(ttlSeconds: Int, maxTTLSeconds: Int) {
        state.withLock { state in
            state.ttlMillis = Self.millis(ttlSeconds)
            state.maxTTLMillis = Self.millis(max(ttlSeconds, maxTTLSeconds))
            if state.ttlMillis == 0 { state.entries.removeAll() }
            count.store(state.entries.count, ordering: .relaxed)
        }
    }

    /// The failure that keeps `key` from going upstream now, if any.
    public func blocking(_ key: CacheKey, now: UInt64) -> Entry? {
        guard count.load(ordering: .relaxed) > 0 else { return nil }
        return state.withLock { state in
            guard let entry = state.entries[key], now < entry.untilMillis else { return nil }
            return entry
        }
    }

    /// Every attempt for `key` failed: remember it (or double how long it is remembered).
    @discardableResult
    public func recordFailure(_ key: CacheKey, now: UInt64) -> Entry? {
        state.withLock { state -> Entry? in
            guard state.ttlMillis > 0 else { return nil }
            var entry = Entry(untilMillis: 0, ttlMillis: state.ttlMillis, failures: 1)
            if let previous = state.entries[key], now < previous.untilMillis + state.maxTTLMillis {
                entry.ttlMillis = min(previous.ttlMillis * 2, state.maxTTLMillis)
                entry.failures = previous.failures + 1
            }
            entry.untilMillis = now + entry.ttlMillis
            if state.entries[key] == nil && state.entries.count >= capacity { makeRoom(&state, now: now) }
            state.entries[key] = entry
            count.store(state.entries.count, ordering: .relaxed)
            return entry
        }
    }

    /// An answer arrived for `key`: forget its failures.
    public func recordSuccess(_ key: CacheKey) {
        guard count.load(ordering: .relaxed) > 0 else { return }
        state.withLock { state in
            state.entries[key] = nil
            count.store(state.entries.count, ordering: .relaxed)
        }
    }

    /// Forgets failures for `name` (every type), or every failure when nil (`cache flush`).
    @discardableResult
    public func flush(name: DNSName? = nil) -> Int {
        state.withLock { state in
            let before = state.entries.count
            if let name {
                state.entries = state.entries.filter { $0.key.name != name }
            } else {
                state.entries.removeAll()
            }
            count.store(state.entries.count, ordering: .relaxed)
            return before - state.entries.count
        }
    }

    /// Failures remembered now (including expired ones kept for the doubling).
    public var entryCount: Int { count.load(ordering: .relaxed) }

    private func makeRoom(_ state: inout State, now: UInt64) {
        let maxTTL = state.maxTTLMillis
        state.entries = state.entries.filter { now < $0.value.untilMillis + maxTTL }
        if state.entries.count >= capacity,
           let soonest = state.entries.min(by: { $0.value.untilMillis < $1.value.untilMillis }) {
            state.entries[soonest.key] = nil
        }
    }

    private static func millis(_ seconds: Int) -> UInt64 { UInt64(max(0, seconds)) * 1000 }
}
