import DNSWire
import HoldfastResolver
import Synchronization

/// Readable counters for `/stats` (Prometheus counters cannot be read back).
/// One instance per transport; every field is a relaxed atomic, cheap on the hot path.
final class RCodeCounters: Sendable {
    let noError = Atomic<Int>(0)
    let nxDomain = Atomic<Int>(0)
    let serverFailure = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    let formatError = Atomic<Int>(0)
    let notImplemented = Atomic<Int>(0)
    let other = Atomic<Int>(0)

    @inline(__always)
    func count(_ rcode: DNSRCode) {
        switch rcode {
        case .noError: noError.wrappingAdd(1, ordering: .relaxed)
        case .nxDomain: nxDomain.wrappingAdd(1, ordering: .relaxed)
        case .serverFailure: serverFailure.wrappingAdd(1, ordering: .relaxed)
        case .refused: refused.wrappingAdd(1, ordering: .relaxed)
        case .formatError: formatError.wrappingAdd(1, ordering: .relaxed)
        case .notImplemented: notImplemented.wrappingAdd(1, ordering: .relaxed)
        default: other.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// rcode name → count, zero rows left out.
    var snapshot: [String: Int] {
        let rows: [(String, Int)] = [
            ("NOERROR", noError.load(ordering: .relaxed)), ("NXDOMAIN", nxDomain.load(ordering: .relaxed)),
            ("SERVFAIL", serverFailure.load(ordering: .relaxed)), ("REFUSED", refused.load(ordering: .relaxed)),
            ("FORMERR", formatError.load(ordering: .relaxed)), ("NOTIMP", notImplemented.load(ordering: .relaxed)),
            ("OTHER", other.load(ordering: .relaxed)),
        ]
        return Dictionary(uniqueKeysWithValues: rows.filter { $0.1 > 0 })
    }

    var total: Int { snapshot.values.reduce(0, +) }
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
    /// Queries answered from the failure cache (RFC 9520), nothing sent upstream.
    let failureCacheHits = Atomic<Int>(0)
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
