// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastControlModels
import HoldfastResolver
import Synchronization

/// Queries per second over the last few seconds, from samples of the total taken at each
/// `/stats` request and at each housekeeping tick (so a one-shot `holdfastctl status` has an
/// earlier sample to compare with even when nothing else polls).
final class QueryRate: Sendable {
    private let samples = Mutex<[(millis: UInt64, total: UInt64)]>([])
    private let clock: any MillisecondClock

    init(clock: any MillisecondClock) { self.clock = clock }

    func queriesPerSecond(total: UInt64) -> Double {
        let now = clock.nowMillis()
        return samples.withLock { samples in
            samples.append((now, total))
            // The last 10 s, plus the newest sample before them: ticks may be further apart.
            while samples.count > 2, now - samples[1].millis > 10_000 { samples.removeFirst() }
            guard let oldest = samples.first, now > oldest.millis + 200 else { return 0 }
            return Double(total - oldest.total) * 1000 / Double(now - oldest.millis)
        }
    }
}

extension Daemon {
    /// ok: every provider has a server up; degraded: some provider down or stale answers in
    /// the last minute; failing: no provider has a server up.
    func healthReport() -> HealthReport {
        let providers = upstream.status()
        let up = providers.filter { $0.servers.contains { $0.isUp } }
        var reasons: [String] = []
        for provider in providers where !up.contains(where: { $0.name == provider.name }) {
            reasons.append("provider \(provider.name) has no server up")
        }
        let staleCount = metrics.staleWindow.countInLastMinute(nowMillis: clock.nowMillis())
        let staleRecently = staleCount > 0
        if staleRecently { reasons.append("\(staleCount) stale answers served in the last minute") }
        let collapsed = resolver.heldNames().filter { $0.reason != .operator }.count
        if collapsed > 0 {
            reasons.append("\(collapsed) \(collapsed == 1 ? "name is" : "names are") held because \(collapsed == 1 ? "its answer" : "their answers") collapsed (holdfastctl held)")
        }
        let status: HealthReport.Status
        if up.isEmpty && !providers.isEmpty {
            status = .failing
        } else if up.count < providers.count || staleRecently || collapsed > 0 {
            status = .degraded
        } else {
            status = .ok
        }
        return HealthReport(
            status: status, reasons: reasons, uptimeSeconds: Double(uptimeSeconds), providersUp: up.count,
            providersTotal: providers.count, staleAnswersLastMinute: staleCount)
    }

    func statusLine() -> String {
        let health = healthReport()
        let total = metrics.udp.total + metrics.tcp.total
        return "\(health.status): \(health.providersUp)/\(health.providersTotal) providers up, \(cache.count) cached, \(total) queries"
    }

    var uptimeSeconds: Int { Int((clock.nowMillis() - startedAtMillis) / 1000) }
}
