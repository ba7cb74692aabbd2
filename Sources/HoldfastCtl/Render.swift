// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastControlModels

/// Turns reports into the human text the commands print. Pure: no I/O.
enum Render {
    static func health(_ report: HealthReport) -> String {
        report.reasons.isEmpty
            ? "\(report.status.rawValue)\n"
            : "\(report.status.rawValue): \(report.reasons.joined(separator: "; "))\n"
    }

    static func status(health: HealthReport, stats: StatsReport, upstreams: UpstreamsReport) -> String {
        var healthText = health.status.rawValue
        if !health.reasons.isEmpty { healthText += " (\(health.reasons.joined(separator: "; ")))" }
        let summary = TextTable(rows: [
            ["health", healthText],
            ["uptime", Format.duration(stats.uptimeSeconds)],
            ["queries/s", Format.rate(stats.queriesPerSecond)],
            ["cache hit ratio", Format.percent(stats.cacheHitRatio)],
            ["stale answers", "\(health.staleAnswersLastMinute) in the last minute, \(stats.cache.stale) since start"],
            ["providers", "\(health.providersUp) of \(health.providersTotal) up"],
        ])
        let providers = TextTable(
            header: ["PROVIDER", "STATE", "SERVERS UP", "BEST SRTT"],
            rows: upstreams.providers.map { provider in
                let up = provider.servers.filter { $0.state == .up }
                let best = up.compactMap(\.srttMilliseconds).min()
                return [provider.name, provider.state.rawValue, "\(up.count)/\(provider.servers.count)", Format.milliseconds(best)]
            },
            rightAligned: [2, 3]
        )
        return summary.render() + "\n" + providers.render()
    }

    static func stats(_ stats: StatsReport) -> String {
        var rows: [[String]] = [
            ["uptime", Format.duration(stats.uptimeSeconds)],
            ["queries/s", Format.rate(stats.queriesPerSecond)],
            ["queries total", "\(stats.totalQueries)"],
        ]
        for proto in stats.queries.keys.sorted() {
            // The API lists every counted rcode; the table only those that occurred.
            for (rcode, count) in (stats.queries[proto] ?? [:]).sorted(by: { $0.key < $1.key }) where count > 0 {
                rows.append(["queries \(proto) \(rcode)", "\(count)"])
            }
        }
        rows += [
            ["cache hits", "\(stats.cache.hits)"],
            ["cache misses", "\(stats.cache.misses)"],
            ["cache stale", "\(stats.cache.stale)"],
            ["cache evictions", "\(stats.cache.evictions)"],
            ["cache entries", "\(stats.cache.entries)"],
            ["cache hit ratio", Format.percent(stats.cacheHitRatio)],
            ["coalesced", "\(stats.coalesced)"],
            ["prefetches", "\(stats.prefetches)"],
            ["last known good", "\(stats.lastKnownGood)"],
            ["failure cache hits", "\(stats.failureCacheHits)"],
            ["retry budget exhausted", "\(stats.retryBudgetExhausted)"],
            ["over max in flight", "\(stats.inFlightLimited)"],
            ["upstream requests", "\(stats.upstream.requests)"],
            ["upstream failures", "\(stats.upstream.failures)"],
        ]
        return TextTable(rows: rows, rightAligned: [1]).render()
    }

    static func upstreams(_ report: UpstreamsReport) -> String {
        var rows: [[String]] = []
        for provider in report.providers {
            if provider.servers.isEmpty {
                rows.append([provider.name, "-", "-", provider.state.rawValue, "-", "0", "0", "0", "-"])
            }
            for server in provider.servers {
                rows.append([
                    provider.name, server.address, server.transport, server.suspect ? "suspect" : server.state.rawValue,
                    Format.milliseconds(server.srttMilliseconds),
                    "\(server.requests)", "\(server.failures)", "\(server.consecutiveFailures)", server.lastError ?? "-",
                ])
            }
        }
        return TextTable(
            header: ["PROVIDER", "SERVER", "TRANSPORT", "STATE", "SRTT", "REQUESTS", "FAILURES", "IN A ROW", "LAST ERROR"],
            rows: rows, rightAligned: [4, 5, 6, 7]
        ).render()
    }

    static func cacheEntry(_ entry: CacheEntryReport) -> String {
        let failure = entry.failure.map {
            "failed upstream \($0.failures) time\($0.failures == 1 ? "" : "s") in a row; not asked again for \($0.ttlRemainingSeconds) s (failure cache)"
        }
        guard entry.found else {
            return "\(entry.name) \(entry.type): not in the cache\n" + (failure.map { "\(entry.name) \(entry.type): \($0)\n" } ?? "")
        }
        let ttl = entry.stale ? "expired (stale, served only while upstreams fail)" : "\(entry.ttlRemainingSeconds) s left"
        var text = TextTable(rows: [
            ["name", entry.name], ["type", entry.type], ["rcode", entry.rcode ?? "-"], ["ttl", ttl],
            ["records", entry.records.isEmpty ? "(none)" : "\(entry.records.count)"],
        ] + (failure.map { [["upstream", $0]] } ?? [])).render()
        for record in entry.records { text += "  \(record)\n" }
        return text
    }
}
