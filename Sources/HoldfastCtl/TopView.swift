// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastControlModels

/// What `top` knows after its latest refresh, and the history behind the sparklines.
struct TopModel {
    var socket: String
    var health: HealthReport?
    var stats: StatsReport?
    var upstreams: UpstreamsReport?
    /// Why the last refresh failed, if it did.
    var error: String?
    var queriesPerSecond: Double?
    var staleAnswersPerSecond: Double?
    var hitRatio: Double?
    var queryHistory: [Double] = []
    var staleHistory: [Double] = []
    /// The last sample's counters, to compute rates from the next one.
    var previous: (at: ContinuousClock.Instant, stats: StatsReport)?

    static let historyLength = 60

    /// Folds in a fresh sample: rates come from the difference with the previous one.
    mutating func record(stats: StatsReport, health: HealthReport, upstreams: UpstreamsReport, at now: ContinuousClock.Instant) {
        if let previous {
            let elapsed = Double((now - previous.at).components.seconds) + Double((now - previous.at).components.attoseconds) / 1e18
            let seconds = max(elapsed, 0.001)
            queriesPerSecond = Double(stats.totalQueries &- previous.stats.totalQueries) / seconds
            staleAnswersPerSecond = Double(stats.cache.stale &- previous.stats.cache.stale) / seconds
            let hits = stats.cache.hits &- previous.stats.cache.hits
            let asked = hits &+ (stats.cache.misses &- previous.stats.cache.misses) &+ (stats.cache.stale &- previous.stats.cache.stale)
            hitRatio = asked > 0 ? Double(hits) / Double(asked) : stats.cacheHitRatio
        } else {
            queriesPerSecond = stats.queriesPerSecond
            staleAnswersPerSecond = nil
            hitRatio = stats.cacheHitRatio
        }
        append(&queryHistory, queriesPerSecond ?? 0)
        append(&staleHistory, staleAnswersPerSecond ?? 0)
        previous = (now, stats)
        self.stats = stats
        self.health = health
        self.upstreams = upstreams
        error = nil
    }

    private func append(_ history: inout [Double], _ value: Double) {
        history.append(value)
        if history.count > Self.historyLength { history.removeFirst(history.count - Self.historyLength) }
    }

    /// The frame's lines, cut to the terminal's size.
    func render(rows: Int, columns: Int) -> [String] {
        var lines = ["holdfastctl top  \(socket)  (q quits)", ""]
        if let error {
            lines += ["cannot refresh: \(error)", "retrying every second", ""]
        }
        if let health, let stats {
            let sparkWidth = max(0, min(Self.historyLength, columns - 30))
            var state = health.status.rawValue
            if !health.reasons.isEmpty { state += ": " + health.reasons.joined(separator: "; ") }
            lines += TextTable(rows: [
                ["health", state],
                ["uptime", Format.duration(stats.uptimeSeconds)],
                ["queries/s", queriesPerSecond.map(Format.rate) ?? "-", Self.sparkline(queryHistory.suffix(sparkWidth))],
                ["hit ratio", hitRatio.map(Format.percent) ?? "-"],
                ["stale answers/s", staleAnswersPerSecond.map(Format.rate) ?? "-", Self.sparkline(staleHistory.suffix(sparkWidth))],
                ["cache entries", "\(stats.cache.entries)"],
                ["providers up", "\(health.providersUp) of \(health.providersTotal)"],
            ], rightAligned: [1]).render().split(separator: "\n").map(String.init)
            lines.append("")
        }
        if let upstreams {
            var rows: [[String]] = []
            for provider in upstreams.providers {
                for (index, server) in provider.servers.enumerated() {
                    rows.append([
                        index == 0 ? "\(provider.name) (\(provider.state.rawValue))" : "", server.address,
                        server.transport, server.state.rawValue, Format.milliseconds(server.srttMilliseconds),
                        "\(server.consecutiveFailures)", server.lastError ?? "",
                    ])
                }
            }
            lines += TextTable(
                header: ["PROVIDER", "SERVER", "TRANSPORT", "STATE", "SRTT", "FAILS", "LAST ERROR"], rows: rows, rightAligned: [4, 5])
                .render().split(separator: "\n").map(String.init)
        }
        return lines.prefix(max(1, rows)).map { String($0.prefix(max(1, columns))) }
    }

    /// One block character per value, scaled to the largest.
    static func sparkline(_ values: ArraySlice<Double>) -> String {
        let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let top = values.max() ?? 0
        guard top > 0 else { return String(repeating: "▁", count: values.count) }
        return String(values.map { value in
            blocks[min(blocks.count - 1, max(0, Int((value / top) * Double(blocks.count - 1) + 0.5)))]
        })
    }
}
