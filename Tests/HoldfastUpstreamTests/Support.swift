// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Logging
import Synchronization
@testable import HoldfastUpstream

/// Records observer events and lets a test await a server's state change.
final class RecordingObserver: UpstreamObserver {
    private struct State {
        var changes: [(server: String, isUp: Bool)] = []
        var waiters: [(server: String, isUp: Bool, continuation: CheckedContinuation<Bool, Never>)] = []
    }
    private let state = Mutex(State())

    /// Every state change seen so far, in order.
    var changes: [(server: String, isUp: Bool)] { state.withLock { $0.changes } }

    func attemptFinished(provider: String, server: String, outcome: AttemptOutcome, rtt: Duration?) {}

    private let refusals = Mutex(0)
    /// Extra attempts the retry budget refused.
    var budgetRefusals: Int { refusals.withLock { $0 } }
    func retryBudgetExhausted() { refusals.withLock { $0 += 1 } }

    func serverStateChanged(provider: String, server: String, isUp: Bool) {
        let ready = state.withLock { state in
            state.changes.append((server, isUp))
            var ready: [CheckedContinuation<Bool, Never>] = []
            state.waiters.removeAll { waiter in
                guard waiter.server == server && waiter.isUp == isUp else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    /// Waits for `server` to change to `isUp` (or returns at once if its last change was that).
    func waitFor(server: String, isUp: Bool, timeout: Duration = .seconds(5)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.state.withLock { state -> Bool in
                        if state.changes.last(where: { $0.server == server })?.isUp == isUp { return true }
                        state.waiters.append((server, isUp, continuation))
                        return false
                    }
                    if done { continuation.resume(returning: true) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.cancelWaiters(server: server)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            if first { self.cancelWaiters(server: server) }
            return first
        }
    }

    private func cancelWaiters(server: String) {
        let stale = state.withLock { state in
            var stale: [CheckedContinuation<Bool, Never>] = []
            state.waiters.removeAll { waiter in
                guard waiter.server == server else { return false }
                stale.append(waiter.continuation)
                return true
            }
            return stale
        }
        for continuation in stale { continuation.resume(returning: false) }
    }
}

/// Starts one fake per provider (named p0, p1, ...) answering A with 192.0.2.1.
func startFakes(_ behaviours: [FakeUpstream.Behaviour]) async throws -> [FakeUpstream] {
    var fakes: [FakeUpstream] = []
    for behaviour in behaviours {
        let fake = try await FakeUpstream.start(behaviour: behaviour)
        fake.setDefaultIPv4([192, 0, 2, 1])
        fakes.append(fake)
    }
    return fakes
}

func stopFakes(_ fakes: [FakeUpstream]) async {
    for fake in fakes { await fake.shutdown() }
}

func makeConfiguration(
    _ fakes: [FakeUpstream], policy: UpstreamConfiguration.Policy = .failover, timeoutMs: Int = 1000,
    hedgeAfterMs: Int = 0, failureThreshold: Int = 3, probeIntervalSeconds: Int = 1,
    routes: [UpstreamConfiguration.Route] = [], rotateAfterQueries: ChannelRotation = .afterQueries(100), retryBudgetPercent: Int = 20,
    tlsIdleTimeoutMs: Int = 10_000
) -> UpstreamConfiguration {
    UpstreamConfiguration(
        policy: policy, timeoutMs: timeoutMs, hedgeAfterMs: hedgeAfterMs, failureThreshold: failureThreshold,
        probeIntervalSeconds: probeIntervalSeconds,
        providers: fakes.enumerated().map { index, fake in
            .init(name: "p\(index)", servers: [UpstreamServerAddress(host: "127.0.0.1", port: UInt16(fake.port))])
        },
        routes: routes, randomizeCase: true, rotateAfterQueries: rotateAfterQueries, retryBudgetPercent: retryBudgetPercent,
        retryBudgetMinPerSecond: 10, tlsIdleTimeoutMs: tlsIdleTimeoutMs)
}

func makePool(_ configuration: UpstreamConfiguration, observer: RecordingObserver? = nil) throws -> UpstreamPool {
    var logger = Logger(label: "test.upstream")
    logger.logLevel = .error
    return try UpstreamPool(configuration: configuration, logger: logger, observer: observer)
}

func aQuestion(_ name: String = "www.example.com") throws -> DNSQuestion {
    DNSQuestion(name: try DNSName(name), type: .a, qclass: .in)
}

extension UpstreamResult {
    var provider: String? {
        if case .answer(_, let provider, _, _) = self { return provider }
        return nil
    }
    var error: UpstreamError? {
        if case .failed(let error) = self { return error }
        return nil
    }
    var isAllDown: Bool {
        if case .allDown = self { return true }
        return false
    }
}

/// Time one call.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, ContinuousClock.now - start)
}

extension Duration {
    var ms: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
