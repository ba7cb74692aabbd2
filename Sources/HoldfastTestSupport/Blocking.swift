// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation

/// Runs blocking work (socket I/O with timeouts, paced sends) on its own thread so that test
/// tasks never block Swift's cooperative thread pool.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it
/// held. For state the daemon changes on an event the test caused (a failed attempt, a probe
/// that succeeds), never to wait out a fixed delay.
public func eventually(
    timeout: Duration = .seconds(15), interval: Duration = .milliseconds(100),
    _ condition: @Sendable () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return true }
        if clock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}
