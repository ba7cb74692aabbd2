// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

/// The built `holdfastctl` against a running holdfastd (output and exit status of every
/// command, human and `--json`) and against no daemon at all.
@Suite("holdfastctl against a running holdfastd", .serialized)
struct ObservabilityCtlTests {
    @Test func statusShowsHealthRatesAndProviders() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("status.example.test")
        try await stack.ask("status.example.test")
        try await stack.upstreamsWhen { $0["providers"][0]["servers"][0]["srtt_ms"].number != nil }
        let run = try await stack.ctl(["status"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        #expect(run.value(of: "health") == "ok", "\(run)")
        #expect(run.value(of: "cache hit ratio") == "50.0 %", "\(run)")
        #expect(run.value(of: "providers") == "2 of 2 up", "\(run)")
        #expect(run.value(of: "stale answers")?.hasPrefix("0 in the last minute") == true, "\(run)")
        #expect(run.value(of: "queries/s") != nil, "\(run)")
        #expect(run.lines.contains { $0.hasPrefix("p1 ") && $0.contains(" up ") && $0.hasSuffix(" ms") }, "\(run)")
        #expect(run.lines.contains { $0.hasPrefix("p2 ") && $0.contains(" up ") }, "\(run)")
        await stack.stop()
    }

    @Test func statsPrintsTheSameCountersAsTheAPI() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("stats.example.test")
        try await stack.ask("stats.example.test")
        try await stack.ask("stats.example.test", .aaaa, over: .tcp)
        let run = try await stack.ctl(["stats"])
        #expect(run.status == 0, "\(run)")
        let api = try await stack.json("/stats")
        let rows: [(String, Int?)] = [
            ("queries total", api["total_queries"].int), ("queries udp NOERROR", api["queries"]["udp"]["NOERROR"].int),
            ("queries tcp NXDOMAIN", api["queries"]["tcp"]["NXDOMAIN"].int), ("cache hits", api["cache"]["hits"].int),
            ("cache misses", api["cache"]["misses"].int), ("cache entries", api["cache"]["entries"].int),
            ("upstream requests", api["upstream"]["requests"].int), ("upstream failures", api["upstream"]["failures"].int),
        ]
        for (label, expected) in rows {
            #expect(run.value(of: label).flatMap { Int($0) } == expected, "\(label) in\n\(run)")
        }
        #expect(run.value(of: "queries total") == "3")
        #expect(run.value(of: "cache hits") == "1")
        // Numbers end in one column.
        let numeric = run.lines.filter { $0.last?.isNumber == true }
        #expect(numeric.count >= rows.count)
        #expect(Set(numeric.map(\.count)).count == 1, "\(run)")
        await stack.stop()
    }

    @Test func upstreamsPrintsOneAlignedRowPerServer() async throws {
        let stack = try await ObservedStack.start(failFast: true)
        try await stack.upstreams[1].setBehaviour(.closed)
        try await stack.upstreams[0].setBehaviour(.closed)
        _ = try await stack.ask("down.example.test")
        try await stack.upstreamsWhen { json in
            json["providers"].array.allSatisfy { $0["servers"][0]["state"].string == "down" && $0["servers"][0]["last_error"] != .null }
        }
        let run = try await stack.ctl(["upstreams"])
        #expect(run.status == 0, "\(run)")
        let lines = run.lines
        #expect(lines.count == 3, "\(run)")
        let header = try #require(lines.first)
        #expect(header.split(separator: " ").prefix(4) == ["PROVIDER", "SERVER", "TRANSPORT", "STATE"], "\(run)")
        let stateColumn = try #require(header.range(of: "STATE")).lowerBound.utf16Offset(in: header)
        for (index, line) in lines.dropFirst().enumerated() {
            #expect(line.hasPrefix("p\(index + 1) "), "\(run)")
            #expect(line.contains(stack.serverLabel(index)), "\(run)")
            let transportColumn = try #require(header.range(of: "TRANSPORT")).lowerBound.utf16Offset(in: header)
            #expect(String(line.dropFirst(transportColumn).prefix(4)) == "dns ", "misaligned: \(line)")
            #expect(String(line.dropFirst(stateColumn).prefix(4)) == "down", "misaligned: \(line)")
            #expect(line.hasSuffix("refused)") || line.hasSuffix("timeout"), "\(line)")  // LAST ERROR
        }
        await stack.stop()
    }

    @Test func cacheShowAndFlush() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("show.example.test")
        let shown = try await stack.ctl(["cache", "show", "show.example.test"])
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.value(of: "name") == "show.example.test.")
        #expect(shown.value(of: "type") == "A")
        #expect(shown.value(of: "rcode") == "NOERROR")
        #expect(shown.lines.contains { $0.contains("show.example.test.") && $0.hasSuffix("IN A 192.0.2.7") }, "\(shown)")

        let absent = try await stack.ctl(["cache", "show", "show.example.test", "AAAA"])
        #expect(absent.status == 1, "\(absent)")
        #expect(absent.stdout == "show.example.test. AAAA: not in the cache", "\(absent)")

        let flushed = try await stack.ctl(["cache", "flush", "show.example.test"])
        #expect(flushed.status == 0)
        #expect(flushed.stdout == "flushed 1 entry", "\(flushed)")
        #expect(try await stack.ctl(["cache", "show", "show.example.test"]).status == 1)

        try await stack.ask("x.example.test")
        try await stack.ask("y.example.test")
        let all = try await stack.ctl(["cache", "flush"])
        #expect(all.stdout == "flushed 2 entries", "\(all)")
        await stack.stop()
    }

    @Test func metricsPrintsTheRawPrometheusText() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("metrics.example.test")
        let run = try await stack.ctl(["metrics"])
        #expect(run.status == 0)
        let parsed = try PrometheusText(parsing: run.stdout + "\n")
        #expect(parsed.sum("holdfast_queries_total") == 1)
        #expect(parsed.types["holdfast_upstream_rtt_seconds"] == "histogram")
        await stack.stop()
    }

    @Test func reloadAcceptsAGoodConfigAndRejectsABadOne() async throws {
        let stack = try await ObservedStack.start()
        let good = try await stack.ctl(["reload"])
        #expect(good.status == 0, "\(good)")
        #expect(good.stdout == "config reloaded")
        try stack.daemon.rewriteConfig(text: "[upstream]\ntimeout_ms = \"soon\"\n")
        let bad = try await stack.ctl(["reload"])
        #expect(bad.status == 1, "\(bad)")
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr.count == 1, "\(bad)")
        #expect(bad.stderr.first?.hasPrefix("holdfastctl: reload rejected") == true, "\(bad)")
        let badJSON = try await stack.ctl(["--json", "reload"])
        #expect(badJSON.status == 1)
        #expect(badJSON.json?["ok"].bool == false, "\(badJSON)")
        #expect(try await stack.ask("still-serving.example.test").rcode == .noError)
        await stack.stop()
    }

    @Test("--json prints the control API's JSON", arguments: [
        (["health"], "/health"), (["stats"], "/stats"), (["upstreams"], "/upstreams"),
        (["cache", "show", "json.example.test"], "/cache?name=json.example.test"),
    ])
    func jsonMatchesTheAPI(arguments: [String], path: String) async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("json.example.test")
        // Let every attempt land on the status board, so both reads below see the same figures.
        try await stack.upstreamsWhen { ($0["providers"][0]["servers"][0]["requests"].int ?? 0) >= 1 }
        let run = try await stack.ctl(["--json"] + arguments)
        #expect(run.status == 0, "\(run)")
        let printed = try #require(run.json, "\(run)")
        let api = try await stack.json(path)
        // Same fields; values that drift with time (uptime, rates) aside, the same values.
        #expect(printed.keys == api.keys)
        for key in api.keys where !["uptime_s", "queries_per_second", "srtt_ms", "ttl_remaining_s"].contains(key) {
            #expect(printed[key] == api[key], "\(key)")
        }
        await stack.stop()
    }

    @Test func statusJSONHoldsHealthStatsAndUpstreams() async throws {
        let stack = try await ObservedStack.start()
        let run = try await stack.ctl(["status", "--json"])
        #expect(run.status == 0)
        let json = try #require(run.json, "\(run)")
        #expect(json.keys == ["health", "stats", "upstreams"])
        #expect(json["health"]["status"].string == "ok")
        await stack.stop()
    }

    @Test("Without a daemon every command says so in one line and exits 2", arguments: [
        ["status"], ["stats"], ["upstreams"], ["health"], ["cache", "show", "x.test"], ["cache", "flush"],
        ["metrics"], ["reload"], ["--json", "health"],
    ])
    func noDaemon(arguments: [String]) async throws {
        let directory = try TemporaryDirectory(prefix: "hf-nod")
        let socket = directory.file("control.sock")
        let run = try await CtlRun.run(["--socket", socket] + arguments)
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr.count == 1, "\(run)")
        #expect(run.stderr.first?.contains(socket) == true, "\(run)")
    }

    @Test func aStoppedDaemonLooksLikeNone() async throws {
        let stack = try await ObservedStack.start()
        #expect(try await stack.ctl(["health"]).status == 0)
        await stack.stop()
        let run = try await stack.ctl(["health"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.count == 1 && run.stderr[0].contains(stack.daemon.controlSocketPath), "\(run)")
    }
}
