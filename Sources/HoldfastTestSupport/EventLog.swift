// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Synchronization

/// An append-only, thread-safe record of events (log lines, notify messages) that tests can
/// await: `waitFor` returns the first element (at or after an index) matching a predicate, as
/// soon as it arrives, or fails after a bounded time or when the log is closed.
public final class EventLog<Element: Sendable>: Sendable {
    private struct Waiter {
        var from: Int
        var predicate: @Sendable (Element) -> Bool
        var continuation: CheckedContinuation<(index: Int, element: Element), any Error>
    }

    private struct State {
        var items: [Element] = []
        var closed = false
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    private let label: String

    public init(label: String) { self.label = label }

    /// Every element so far.
    public var all: [Element] { state.withLock { $0.items } }

    /// How many elements so far (use as `from:` to wait only for later ones).
    public var count: Int { state.withLock { $0.items.count } }

    /// Whether the source has ended.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Records an element and wakes the waiters it satisfies.
    public func append(_ element: Element) {
        let (index, ready): (Int, [CheckedContinuation<(index: Int, element: Element), any Error>]) = state.withLock { state in
            let index = state.items.count
            state.items.append(element)
            var matched: [CheckedContinuation<(index: Int, element: Element), any Error>] = []
            for (id, waiter) in state.waiters where waiter.from <= index && waiter.predicate(element) {
                matched.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return (index, matched)
        }
        for continuation in ready { continuation.resume(returning: (index, element)) }
    }

    /// Marks the source as ended; pending waiters fail with `.ended`.
    public func close() {
        let pending: [CheckedContinuation<(index: Int, element: Element), any Error>] = state.withLock { state in
            state.closed = true
            let all = state.waiters.values.map(\.continuation)
            state.waiters = [:]
            return all
        }
        for continuation in pending { continuation.resume(throwing: TestSupportError.ended(label)) }
    }

    /// The first element at index `from` or later matching `predicate`; waits up to `timeout`.
    public func waitFor(
        from: Int = 0, timeout: Duration = .seconds(10), _ what: String = "event",
        where predicate: @escaping @Sendable (Element) -> Bool
    ) async throws -> Element {
        try await waitForIndexed(from: from, timeout: timeout, what, where: predicate).element
    }

    /// Like `waitFor`, also returning the element's index (pass `index + 1` as the next `from`).
    public func waitForIndexed(
        from: Int = 0, timeout: Duration = .seconds(10), _ what: String = "event",
        where predicate: @escaping @Sendable (Element) -> Bool
    ) async throws -> (index: Int, element: Element) {
        let id: UInt64 = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let description = "\(what) in \(label)"
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(index: Int, element: Element), any Error>) in
                let immediate: Result<(index: Int, element: Element), any Error>? = state.withLock { state in
                    if from < state.items.count, let found = state.items[from...].firstIndex(where: predicate) {
                        return .success((found, state.items[found]))
                    }
                    if state.closed { return .failure(TestSupportError.ended(description)) }
                    state.waiters[id] = Waiter(from: from, predicate: predicate, continuation: continuation)
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                    return
                }
                // Cancelled before the waiter existed: onCancel found nothing to fail.
                if Task.isCancelled { fail(id, CancellationError()) }
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.fail(id, TestSupportError.timedOut(description))
                }
            }
        } onCancel: {
            self.fail(id, CancellationError())
        }
    }

    private func fail(_ id: UInt64, _ error: any Error) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(throwing: error)
    }
}

extension EventLog where Element == String {
    /// The first line at or after `from` containing `text`.
    public func waitForLine(containing text: String, from: Int = 0, timeout: Duration = .seconds(10)) async throws -> String {
        try await waitFor(from: from, timeout: timeout, "a line containing \"\(text)\"") { $0.contains(text) }
    }
}

extension EventLog {
    /// Returns once the log is closed (its source ended); fails after `timeout`.
    public func waitForClose(timeout: Duration = .seconds(10)) async throws {
        do {
            _ = try await waitFor(timeout: timeout, "the end") { _ in false }
        } catch TestSupportError.ended {
            return
        }
    }
}
