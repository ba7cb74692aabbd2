// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import Synchronization

/// Which upstream answered a fetch and how many attempts it took (a confirming question's
/// included), for `GET /query`.
struct UpstreamVia: Sendable, Equatable {
    var provider: String
    var server: String
    var attempts: Int
}

/// The result of one upstream fetch, shared by every client that asked the same question.
enum FetchOutcome: Sendable {
    /// A fresh answer (stored in the cache when cacheable).
    case answer(StoredAnswer, via: UpstreamVia)
    /// The answer collapsed (or still is empty) for a held name: the kept positive answer.
    case held(StoredAnswer, via: UpstreamVia)
    /// Every attempt failed.
    case failed
    /// No upstream was up to ask.
    case allDown
}

/// What a waiting client is told.
enum FlightEvent: Sendable {
    case done(FetchOutcome)
    /// Every eligible provider was marked down while the fetch was still waiting.
    case allDown
    /// The client's stale-answer deadline (`client_timeout_ms`) passed first.
    case timedOut
}

/// One upstream fetch in progress and the clients waiting for it (coalescing, Unbound's mesh).
/// Waiters are callbacks, run on the thread that delivers the event (the upstream loop thread
/// for outcomes, all-down signals and deadlines): no task or continuation per waiting client.
final class Flight: Sendable {
    typealias Deliver = @Sendable (FlightEvent) -> Void

    private struct State {
        var waiters: [(deliver: Deliver, early: Bool)] = []
        var allDown = false
        var outcome: FetchOutcome?
        var deadlineArmed = false
        var deadlinePassed = false
    }

    private let state = Mutex(State())
    /// When the upstream fetch started: `client_timeout_ms` counts from here, so a client that
    /// joins a fetch already silent for that long gets its stale answer at once.
    let started = ContinuousClock.now

    /// Adds a waiter. `early` waiters (those with stale data to fall back on) are also told
    /// of an all-down signal and of the deadline. Delivers at once when the flight already
    /// knows. Returns true when the caller must arm the deadline (the first early waiter).
    func wait(early: Bool, deliver: @escaping Deliver) -> Bool {
        let (immediate, arm): (FlightEvent?, Bool) = state.withLock { state in
            if let outcome = state.outcome { return (.done(outcome), false) }
            if early && state.allDown { return (.allDown, false) }
            if early && state.deadlinePassed { return (.timedOut, false) }
            state.waiters.append((deliver, early))
            guard early, !state.deadlineArmed else { return (nil, false) }
            state.deadlineArmed = true
            return (nil, true)
        }
        if let immediate { deliver(immediate) }
        return arm
    }

    /// The client timeout passed: early waiters get their stale answers; later early waiters
    /// get theirs at once.
    func deadlinePassed() {
        let early = state.withLock { state -> [Deliver] in
            state.deadlinePassed = true
            return takeEarly(&state)
        }
        for deliver in early { deliver(.timedOut) }
    }

    /// Wakes the early waiters: nothing upstream can answer right now.
    func signalAllDown() {
        let early = state.withLock { state -> [Deliver] in
            state.allDown = true
            return takeEarly(&state)
        }
        for deliver in early { deliver(.allDown) }
    }

    /// Delivers the outcome to everyone still waiting and to later `wait` calls.
    func finish(_ outcome: FetchOutcome) {
        let waiters = state.withLock { state -> [Deliver] in
            state.outcome = outcome
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.deliver)
        }
        for deliver in waiters { deliver(.done(outcome)) }
    }

    private func takeEarly(_ state: inout State) -> [Deliver] {
        guard state.waiters.contains(where: \.early) else { return [] }
        let early = state.waiters.filter(\.early).map(\.deliver)
        state.waiters.removeAll(where: \.early)
        return early
    }
}

/// Fetches in progress by cache key: identical questions share one upstream query. Also what
/// a graceful shutdown waits on: `waitUntilEmpty` returns when the last fetch completes.
final class FlightTable: Sendable {
    private struct State {
        var flights: [CacheKey: Flight] = [:]
        var active = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// The drain's time bound passed: nobody waits any more.
        var released = false
    }

    private let state = Mutex(State())
    private let active = Atomic<Int>(0)

    /// The flight for `key`, and whether the caller created it (and so must run the fetch);
    /// nil when `key` has none and `limit` flights are already running (`max_in_flight`).
    func join(_ key: CacheKey, limit: Int = .max) -> (flight: Flight, isLeader: Bool)? {
        state.withLock { state in
            if let existing = state.flights[key] { return (existing, false) }
            guard state.active < limit else { return nil }
            let flight = Flight()
            state.flights[key] = flight
            state.active += 1
            active.store(state.active, ordering: .relaxed)
            return (flight, true)
        }
    }

    /// True when a fetch for `key` is already running.
    func contains(_ key: CacheKey) -> Bool { state.withLock { $0.flights[key] != nil } }

    /// Removes the flight and then hands its outcome to the waiters.
    func complete(_ key: CacheKey, flight: Flight, outcome: FetchOutcome) {
        state.withLock { state in
            if state.flights[key] === flight { state.flights[key] = nil }
        }
        flight.finish(outcome)
        // Counted down only after the waiters were answered, so a drain never returns (and the
        // sockets close) before the last clients got their replies.
        let idle = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.active -= 1
            active.store(state.active, ordering: .relaxed)
            guard state.active == 0 else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in idle { waiter.resume() }
    }

    /// Number of fetches in progress.
    var count: Int { active.load(ordering: .relaxed) }

    /// Returns once no fetch is in progress (at once when none is).
    func waitUntilEmpty() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.active == 0 || state.released { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Releases every `waitUntilEmpty` caller (the drain's time bound passed).
    func releaseIdleWaiters() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.released = true
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
