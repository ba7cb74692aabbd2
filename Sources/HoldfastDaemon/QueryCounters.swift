// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastResolver
import Synchronization

/// The rcodes counted by name, in `holdfast_queries_total{rcode}` and in `/stats` alike: one
/// table, so the two always agree. Every other rcode is counted as `OTHER`.
enum CountedRCode {
    static let named: [DNSRCode] = [.noError, .nxDomain, .serverFailure, .refused, .formatError, .notImplemented, .badVersion]
    /// Label of each position: the rcode's mnemonic (`NOERROR`, ..., `BADVERS`), then `OTHER`.
    static let labels: [String] = named.map(\.description) + ["OTHER"]

    /// Position of `rcode` in `labels` (a switch: this runs for every answer).
    @inline(__always)
    static func index(_ rcode: DNSRCode) -> Int {
        switch rcode {
        case .noError: 0
        case .nxDomain: 1
        case .serverFailure: 2
        case .refused: 3
        case .formatError: 4
        case .notImplemented: 5
        case .badVersion: 6
        default: 7
        }
    }
}

/// One relaxed atomic counter on the heap, so counters can be kept in an array (`Atomic` itself
/// cannot be copied into one).
final class AtomicCounterCell: Sendable {
    let value = Atomic<Int>(0)
}

/// Readable counters for `/stats` (Prometheus counters cannot be read back).
/// One instance per transport; one relaxed atomic per `CountedRCode` label, cheap on the hot path.
final class RCodeCounters: Sendable {
    private let cells: [AtomicCounterCell] = CountedRCode.labels.map { _ in AtomicCounterCell() }

    @inline(__always)
    func count(_ rcode: DNSRCode) {
        cells[CountedRCode.index(rcode)].value.wrappingAdd(1, ordering: .relaxed)
    }

    /// rcode label → count, every label (zeros included: `/stats` always has every key).
    var snapshot: [String: Int] {
        Dictionary(uniqueKeysWithValues: zip(CountedRCode.labels, cells.map { $0.value.load(ordering: .relaxed) }))
    }

    var total: Int { cells.reduce(0) { $0 + $1.value.load(ordering: .relaxed) } }
}

/// Event counters beyond rcodes, readable for `/stats` and health.
final class EventCounters: Sendable {
    let cacheHits = Atomic<Int>(0)
    let cacheMisses = Atomic<Int>(0)
    let staleAnswers = Atomic<Int>(0)
    let localAnswers = Atomic<Int>(0)
    let coalesced = Atomic<Int>(0)
    let prefetches = Atomic<Int>(0)
    let lastKnownGood = Atomic<Int>(0)
    /// Names whose positive answer collapsed and was held (`holdfast_answer_collapses_total`).
    let answerCollapses = Atomic<Int>(0)
    /// Queries answered from the failure cache (RFC 9520), nothing sent upstream.
    let failureCacheHits = Atomic<Int>(0)
    /// Extra upstream attempts the retry budget refused.
    let retryBudgetExhausted = Atomic<Int>(0)
    /// Misses answered at once because `upstream.max_in_flight` questions were waiting.
    let inFlightLimited = Atomic<Int>(0)
    let upstreamRequests = Atomic<Int>(0)
    let upstreamFailures = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    /// Monotonic milliseconds of the latest stale answer (0 = never), for health.
    let lastStaleMillis = Atomic<UInt64>(0)
}

/// Stale answers per second over the last minute (a 60-slot ring), for health.
final class StaleWindow: Sendable {
    private let slots = Mutex<(seconds: [UInt64], counts: [UInt64])>((Array(repeating: 0, count: 60), Array(repeating: 0, count: 60)))

    func record(nowMillis: UInt64) {
        let second = nowMillis / 1000
        let index = Int(second % 60)
        slots.withLock { slots in
            if slots.seconds[index] != second {
                slots.seconds[index] = second
                slots.counts[index] = 0
            }
            slots.counts[index] += 1
        }
    }

    func countInLastMinute(nowMillis: UInt64) -> UInt64 {
        let second = nowMillis / 1000
        return slots.withLock { slots in
            var total: UInt64 = 0
            for index in 0..<60 where slots.seconds[index] + 60 > second && slots.seconds[index] <= second {
                total += slots.counts[index]
            }
            return total
        }
    }
}
