// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastControlModels
import HoldfastControlServer
import Synchronization

/// A scripted daemon: fixed reports whose health and reload result tests can change.
final class FakeBackend: ControlBackend {
    struct Script {
        var health: HealthReport.Status = .ok
        var reloadError: String?
        var statsCalls: UInt64 = 0
        var flushedNames: [String?] = []
        var live = ProbeReport.passing
        var ready = ProbeReport.passing
    }

    let script = Mutex(Script())

    func set(health: HealthReport.Status) { script.withLock { $0.health = health } }
    func set(reloadError: String?) { script.withLock { $0.reloadError = reloadError } }
    func set(live: ProbeReport) { script.withLock { $0.live = live } }
    func set(ready: ProbeReport) { script.withLock { $0.ready = ready } }

    func liveness() -> ProbeReport { script.withLock { $0.live } }
    func readiness() -> ProbeReport { script.withLock { $0.ready } }

    func health() -> HealthReport {
        let status = script.withLock { $0.health }
        let reasons: [String] = switch status {
        case .ok: []
        case .degraded: ["provider beta down"]
        case .failing: ["no provider has a server up"]
        }
        let up = switch status {
        case .ok: 2
        case .degraded: 1
        case .failing: 0
        }
        return HealthReport(status: status, reasons: reasons, uptimeSeconds: 3725, providersUp: up, providersTotal: 2, staleAnswersLastMinute: 4)
    }

    func stats() -> StatsReport {
        // Each call adds 50 queries, so `top` sees a non-zero rate.
        let calls = script.withLock { state -> UInt64 in
            state.statsCalls += 1
            return state.statsCalls
        }
        let udp = 900 + calls * 50
        return StatsReport(
            uptimeSeconds: 3725,
            queries: ["udp": ["NOERROR": udp, "NXDOMAIN": 20], "tcp": ["NOERROR": 80]],
            totalQueries: udp + 100,
            cache: .init(hits: 750, misses: 240, stale: 10 + calls, evictions: 3, entries: 412),
            coalesced: 7, prefetches: 12, lastKnownGood: 1,
            upstream: .init(requests: 260, failures: 9),
            queriesPerSecond: 12.5, cacheHitRatio: 0.75
        )
    }

    func upstreams() -> UpstreamsReport {
        UpstreamsReport(providers: [
            .init(name: "alpha", state: .up, servers: [
                .init(address: "127.0.0.1:5301", state: .up, srttMilliseconds: 4.25, consecutiveFailures: 0, lastError: nil, requests: 200, failures: 1),
                .init(address: "[::1]:5302", state: .up, srttMilliseconds: 11.5, consecutiveFailures: 0, lastError: "timeout", requests: 30, failures: 2),
            ]),
            .init(name: "beta-long-name", state: .down, servers: [
                .init(address: "127.0.0.2:5303", state: .down, srttMilliseconds: nil, consecutiveFailures: 6, lastError: "connection refused", requests: 30, failures: 6),
            ]),
        ])
    }

    func metricsText() -> String {
        "# TYPE holdfast_queries_total counter\nholdfast_queries_total{protocol=\"udp\",rcode=\"NOERROR\"} 950\n"
    }

    func cacheEntry(name: String, type: String) throws -> CacheEntryReport {
        if name.contains("..") { throw ControlBadRequest("invalid name: \(name)") }
        guard name == "example.com." else { return .notFound(name: name, type: type) }
        return CacheEntryReport(
            name: name, type: type, found: true, ttlRemainingSeconds: 245, stale: false, rcode: "NOERROR",
            records: ["example.com. 245 IN \(type) 192.0.2.1"])
    }

    func flushCache(name: String?) throws -> Int {
        if let name, name.contains("..") { throw ControlBadRequest("invalid name: \(name)") }
        script.withLock { $0.flushedNames.append(name) }
        return name == nil ? 412 : 1
    }

    func reload() async -> ReloadReport {
        await Task.yield()
        return script.withLock { $0.reloadError }.map(ReloadReport.failure) ?? .success
    }
}
