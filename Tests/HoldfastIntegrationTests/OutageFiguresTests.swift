// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// Issue 3's outage target, measured: 1,000 warmed names whose TTL expired, each asked once
    /// at 200 qps while the upstream's port is closed, and (a separate daemon) while it silently
    /// drops. Daemon defaults throughout (`timeout_ms` 1000, `client_timeout_ms` 1800).
    /// Asserts behaviour only (every name answered with its stale data); the latencies are
    /// printed on lines starting with "FIGURES" — speed is for benchmarks, not test verdicts.
    @Suite("OutageFigures", .serialized)
    struct OutageFigures {
        static let nameCount = 1000

        static func address(_ index: Int) -> [UInt8] { [198, 18, UInt8(index / 256), UInt8(index % 256)] }

        @Test("1,000 expired names at 200 qps during an outage are all answered stale", arguments: [
            FakeUpstream.Behaviour.closed, .blackhole,
        ])
        func outage(fault: FakeUpstream.Behaviour) async throws {
            let names = (0..<Self.nameCount).map { "host\($0).outage.test" }
            let stack = try await ResilienceStack.start(
                records: try names.enumerated().map { try .a($0.element, Self.address($0.offset), ttl: 1) }
            ) { config in
                config.timeoutMs = 1000  // the shipped default; client_timeout_ms stays at its 1800
            }
            let questions = names.map { (name: $0, type: DNSType.a) }

            // Warm at 1,000 qps; retry (bounded) any the loaded machine dropped.
            var missing = Array(questions.indices)
            for _ in 0..<3 where !missing.isEmpty {
                let outcomes = try await ResilienceBurst.run(
                    missing.map { questions[$0] }, to: stack.address, interval: .milliseconds(1), drain: .seconds(3))
                missing = zip(missing, outcomes).filter { $0.1.reply?.rcode != .noError }.map(\.0)
            }
            #expect(missing.isEmpty, "\(missing.count) names could not be warmed")
            let warmedAt = ContinuousClock.now
            let warmQueries = stack.upstream.queryCount
            // Let every TTL (1 s) run out.
            try await resilienceSleep(until: warmedAt + .milliseconds(1500))
            try await stack.upstream.setBehaviour(fault)

            let started = ContinuousClock.now
            let outcomes = try await ResilienceBurst.run(questions, to: stack.address, interval: .milliseconds(5), drain: .seconds(4))
            let elapsed = ContinuousClock.now - started
            let latencies = outcomes.compactMap(\.latency)
            let stale = outcomes.enumerated().filter { index, outcome in
                outcome.reply?.isStaleAnswer(Self.address(index)) == true
            }.count
            let stats = try await stack.stats()
            let label = fault == .closed ? "closed" : "blackhole"
            print("FIGURES outage \(label): \(Self.nameCount) names at 200 qps in \(elapsed); answered \(latencies.count)/\(Self.nameCount) (\(String(format: "%.3f", Double(latencies.count) / Double(Self.nameCount)))), stale-shaped \(stale)")
            print("FIGURES outage \(label): p50 \(ResilienceFigures.milliseconds(ResilienceFigures.percentile(latencies, 50))) p90 \(ResilienceFigures.milliseconds(ResilienceFigures.percentile(latencies, 90))) p99 \(ResilienceFigures.milliseconds(ResilienceFigures.percentile(latencies, 99))) max \(ResilienceFigures.milliseconds(latencies.max()))")
            let upstreamSeen = fault == .closed ? "n/a (port closed)" : "\(stack.upstream.queryCount - warmQueries)"
            let slow = outcomes.enumerated().filter { ($0.element.latency ?? .seconds(9)) > .milliseconds(5) }.map(\.offset)
            print("FIGURES outage \(label): upstream queries during the outage \(upstreamSeen); stats stale \(stats.cache.stale); answers slower than 5 ms: \(slow.count), at positions \(slow.prefix(12))")

            for (index, outcome) in outcomes.enumerated() where outcome.reply?.isStaleAnswer(Self.address(index)) != true {
                Issue.record("\(names[index]): \(outcome.reply.map { "\($0.rcode) \($0.answers) EDE \($0.extendedErrors)" } ?? "no answer")")
                break  // one example is enough; the count below says how many
            }
            #expect(stale == Self.nameCount)
            await stack.stop()
        }
    }
}
