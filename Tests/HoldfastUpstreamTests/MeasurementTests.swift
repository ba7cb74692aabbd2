// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing
@testable import HoldfastUpstream

/// Failover figures for the notes: time to first answer with the primary blackholed (hedge on),
/// and p50/p99 once it is marked down, against the same run with the primary healthy.
@Suite(.serialized) struct MeasurementTests {
    static func percentiles(_ samples: [Duration]) -> (p50: Double, p99: Double) {
        let sorted = samples.map(\.ms).sorted()
        guard !sorted.isEmpty else { return (0, 0) }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }

    func run(primary: FakeUpstream.Behaviour) async throws -> (first: Double, p50: Double, p99: Double, primaryQueries: Int) {
        let fakes = try await startFakes([primary, .normal])
        let observer = RecordingObserver()
        let pool = try makePool(makeConfiguration(fakes, hedgeAfterMs: 100, failureThreshold: 3, probeIntervalSeconds: 5),
                                observer: observer)
        let (_, first) = await timed { await pool.resolve(try! aQuestion("first.example"), dnssecOK: false) }
        _ = await pool.resolve(try aQuestion("second.example"), dnssecOK: false)
        _ = await pool.resolve(try aQuestion("third.example"), dnssecOK: false)
        if primary == .blackhole {
            #expect(await observer.waitFor(server: "127.0.0.1:\(fakes[0].port)", isUp: false))
        }
        let before = fakes[0].queryCount
        var samples: [Duration] = []
        for index in 0..<500 {
            let (result, elapsed) = await timed { await pool.resolve(try! aQuestion("m\(index).example"), dnssecOK: false) }
            #expect(result.provider != nil)
            samples.append(elapsed)
        }
        let primaryQueries = fakes[0].queryCount - before
        pool.shutdown()
        await stopFakes(fakes)
        let (p50, p99) = Self.percentiles(samples)
        return (first.ms, p50, p99, primaryQueries)
    }

    @Test func failoverFigures() async throws {
        let healthy = try await run(primary: .normal)
        let blackholed = try await run(primary: .blackhole)
        func ms(_ value: Double) -> String { "\((value * 1000).rounded() / 1000) ms" }
        print("FIGURES healthy primary: first \(ms(healthy.first)), p50 \(ms(healthy.p50)), p99 \(ms(healthy.p99))")
        print("FIGURES blackholed primary (hedge 100 ms): first \(ms(blackholed.first)), once down p50 \(ms(blackholed.p50)), "
            + "p99 \(ms(blackholed.p99)), queries to primary while down \(blackholed.primaryQueries)")
        // The figures are printed for the notes, not asserted (speed belongs in benchmarks;
        // FailoverTests checks the hedge timing with a wide margin). What must hold: once the
        // primary is down, no question goes to it (so none waits out its timeout).
        #expect(blackholed.primaryQueries == 0)
        #expect(healthy.primaryQueries == 500)
    }

    @Test func idlePoolWithHealthyServersSendsNothing() async throws {
        let fakes = try await startFakes([.normal, .normal])
        let pool = try makePool(makeConfiguration(fakes, probeIntervalSeconds: 1))
        _ = await pool.resolve(try aQuestion(), dnssecOK: false)
        // Asserting an absence needs a bounded wait: longer than a probe interval.
        try await Task.sleep(for: .milliseconds(1300))
        #expect(fakes[0].queryCount == 1)
        #expect(fakes[1].queryCount == 0)
        pool.shutdown()
        await stopFakes(fakes)
    }
}
