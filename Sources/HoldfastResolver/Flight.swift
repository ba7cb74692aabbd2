import DNSWire
import HoldfastCache
import Synchronization

/// The result of one upstream fetch, shared by every client that asked the same question.
enum FetchOutcome: Sendable {
    /// A fresh answer (stored in the cache when cacheable).
    case answer(StoredAnswer, provider: String)
    /// Upstreams turned negative for a last-known-good name: the kept positive answer.
    case lastKnownGood(StoredAnswer)
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
final class Flight: Sendable {
    private struct State {
        var waiters: [Int: (continuation: CheckedContinuation<FlightEvent, Never>, early: Bool)] = [:]
        var nextWaiter = 0
        var allDown = false
        var outcome: FetchOutcome?
    }

    private let state = Mutex(State())
    /// When the upstream fetch started: `client_timeout_ms` counts from here, so a client that
    /// joins a fetch already silent for that long gets its stale answer at once.
    private let started = ContinuousClock.now

    /// Waits for the outcome. `early` waiters (those with stale data to fall back on) are also
    /// woken by an all-down signal and once `timeoutMs` has passed since the fetch started.
    func wait(early: Bool, timeoutMs: Int?) async -> FlightEvent {
        var timer: Task<Void, Never>? = nil
        let deadline = timeoutMs.map { started + .milliseconds($0) }
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let event = await withCheckedContinuation { (continuation: CheckedContinuation<FlightEvent, Never>) in
            let immediate: FlightEvent? = state.withLock { state in
                if let outcome = state.outcome { return .done(outcome) }
                if early && state.allDown { return .allDown }
                if early, let deadline, ContinuousClock.now >= deadline { return .timedOut }
                state.waiters[id] = (continuation, early)
                return nil
            }
            if let immediate {
                continuation.resume(returning: immediate)
            } else if early, let deadline {
                timer = Task { [weak self] in
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    guard !Task.isCancelled else { return }
                    self?.resume(waiter: id, with: .timedOut)
                }
            }
        }
        timer?.cancel()
        return event
    }

    private func resume(waiter id: Int, with event: FlightEvent) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: event)
    }

    /// Wakes the early waiters: nothing upstream can answer right now.
    func signalAllDown() {
        let early = state.withLock { state -> [CheckedContinuation<FlightEvent, Never>] in
            state.allDown = true
            let ids = state.waiters.filter { $0.value.early }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
        }
        for continuation in early { continuation.resume(returning: .allDown) }
    }

    /// Delivers the outcome to everyone still waiting and to later `wait` calls.
    func finish(_ outcome: FetchOutcome) {
        let waiters = state.withLock { state -> [CheckedContinuation<FlightEvent, Never>] in
            state.outcome = outcome
            let all = state.waiters.values.map(\.continuation)
            state.waiters.removeAll()
            return all
        }
        for continuation in waiters { continuation.resume(returning: .done(outcome)) }
    }
}

/// Fetches in progress by cache key: identical questions share one upstream query.
final class FlightTable: Sendable {
    private let flights = Mutex<[CacheKey: Flight]>([:])
    private let active = Atomic<Int>(0)

    /// The flight for `key`, and whether the caller created it (and so must run the fetch).
    func join(_ key: CacheKey) -> (flight: Flight, isLeader: Bool) {
        flights.withLock { table in
            if let existing = table[key] { return (existing, false) }
            let flight = Flight()
            table[key] = flight
            active.wrappingAdd(1, ordering: .relaxed)
            return (flight, true)
        }
    }

    /// True when a fetch for `key` is already running.
    func contains(_ key: CacheKey) -> Bool { flights.withLock { $0[key] != nil } }

    /// Removes the flight and then hands its outcome to the waiters.
    func complete(_ key: CacheKey, flight: Flight, outcome: FetchOutcome) {
        flights.withLock { table in
            if table[key] === flight { table[key] = nil }
        }
        flight.finish(outcome)
        active.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Number of fetches in progress.
    var count: Int { active.load(ordering: .relaxed) }
}
