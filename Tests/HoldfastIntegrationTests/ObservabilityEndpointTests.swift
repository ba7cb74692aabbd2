// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// Every control endpoint of a running holdfastd over its real Unix socket: status codes,
/// content types and the exact JSON field names scripts rely on.
@Suite("Control socket of a running holdfastd", .serialized)
struct ObservabilityEndpointTests {
    @Test func socketIsCreatedWithMode0660() async throws {
        let stack = try await ObservedStack.start()
        var info = stat()
        #expect(stat(stack.daemon.controlSocketPath, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o660)
        await stack.stop()
    }

    @Test func healthReportsOkWithItsFields() async throws {
        let stack = try await ObservedStack.start()
        let reply = try await stack.get("/health")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        let health = try #require(reply.json, "\(reply)")
        #expect(health.keys == ["status", "reasons", "uptime_s", "providers_up", "providers_total", "stale_answers_last_minute"])
        #expect(health["status"].string == "ok")
        #expect(health["reasons"].array.isEmpty)
        #expect(health["providers_up"].int == 2)
        #expect(health["providers_total"].int == 2)
        #expect(health["stale_answers_last_minute"].int == 0)
        #expect((health["uptime_s"].number ?? -1) >= 0)
        await stack.stop()
    }

    @Test func statsCountTheQueriesAsked() async throws {
        let stack = try await ObservedStack.start()
        let before = try await stack.json("/stats")
        #expect(before.keys == [
            "uptime_s", "queries", "total_queries", "cache", "coalesced", "prefetches", "last_known_good", "failure_cache_hits", "retry_budget_exhausted",
            "in_flight_limited", "upstream", "queries_per_second", "cache_hit_ratio",
        ])
        #expect(before["cache"].keys == ["hits", "misses", "stale", "evictions", "entries"])
        #expect(before["upstream"].keys == ["requests", "failures"])
        #expect(before["total_queries"].int == 0)

        try await stack.ask("one.example.test")                 // miss → upstream
        try await stack.ask("one.example.test")                 // hit
        try await stack.ask("one.example.test", .aaaa)          // NXDOMAIN from upstream
        try await stack.ask("two.example.test", over: .tcp)     // miss over TCP
        let stats = try await stack.json("/stats")
        #expect(stats["total_queries"].int == 4)
        #expect(stats["queries"]["udp"]["NOERROR"].int == 2)
        #expect(stats["queries"]["udp"]["NXDOMAIN"].int == 1)
        #expect(stats["queries"]["tcp"]["NOERROR"].int == 1)
        #expect(stats["cache"]["hits"].int == 1)
        #expect(stats["cache"]["misses"].int == 3)
        #expect(stats["cache"]["stale"].int == 0)
        #expect(stats["cache"]["entries"].int == 3)
        #expect((stats["upstream"]["requests"].int ?? 0) >= 3)  // more if an RTO moved a question on
        #expect(stats["upstream"]["failures"].int == 0)
        #expect(stats["cache_hit_ratio"].number == 0.25)
        await stack.stop()
    }

    @Test func upstreamsListProvidersAndServers() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("rtt.example.test")
        let report = try await stack.upstreamsWhen { ($0["providers"][0]["servers"][0]["requests"].int ?? 0) >= 1 }
        #expect(report.keys == ["providers"])
        let providers = report["providers"].array
        #expect(providers.map { $0["name"].string } == ["p1", "p2"])
        for (index, provider) in providers.enumerated() {
            #expect(provider.keys == ["name", "state", "servers"])
            #expect(provider["state"].string == "up")
            let server = provider["servers"][0]
            #expect(server["address"].string == stack.serverLabel(index))
            #expect(server["state"].string == "up")
            #expect(server["consecutive_failures"].int == 0)
            #expect(server["failures"].int == 0)
        }
        // p1 answered the question: it has a smoothed RTT. p2 is asked only if p1 stayed silent
        // past its RTO (a loaded machine); never asked, it has no RTT yet.
        #expect((providers[0]["servers"][0]["requests"].int ?? 0) >= 1)
        #expect((providers[0]["servers"][0]["srtt_ms"].number ?? -1) > 0)
        if providers[1]["servers"][0]["requests"].int == 0 {
            #expect(providers[1]["servers"][0]["srtt_ms"] == .null)
        }
        await stack.stop()
    }

    @Test func upstreamsShowADownServerWithItsLastError() async throws {
        let stack = try await ObservedStack.start(failFast: true)
        try await stack.upstreams[0].setBehaviour(.closed)
        let answer = try await stack.ask("fallback.example.test")
        #expect(answer.rcode == .noError)
        // The attempt is counted when c-ares reports the refusal (at once, unless a loaded
        // machine let the 376 ms RTO of an unmeasured server expire first: then "timeout").
        // The question and the probe the now suspect server was sent at once.
        let counted = await eventually(timeout: .seconds(5)) {
            (try? await stack.json("/upstreams"))?["providers"][0]["servers"][0]["failures"].int == 2
        }
        #expect(counted)
        let p1 = try await stack.json("/upstreams")["providers"][0]
        #expect(p1["state"].string == "down")
        #expect(p1["servers"][0]["state"].string == "down")
        #expect((p1["servers"][0]["consecutive_failures"].int ?? 0) >= 1)
        let lastError = p1["servers"][0]["last_error"].string ?? ""
        #expect(lastError.contains("refused") || lastError.contains("timeout"), "\(p1)")
        await stack.stop()
    }

    @Test func cacheShowsAnEntryWithItsTTLAndRecords() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("cached.example.test")
        let reply = try await stack.get("/cache?name=cached.example.test&type=A")
        #expect(reply.status == 200)
        let entry = try #require(reply.json, "\(reply)")
        #expect(entry.keys == ["name", "type", "found", "ttl_remaining_s", "stale", "rcode", "records", "failure"])
        #expect(entry["name"].string == "cached.example.test.")
        #expect(entry["type"].string == "A")
        #expect(entry["found"].bool == true)
        #expect(entry["stale"].bool == false)
        #expect(entry["rcode"].string == "NOERROR")
        #expect((1...60).contains(entry["ttl_remaining_s"].int ?? -1), "\(entry)")
        #expect(entry["records"].array.compactMap(\.string).contains { $0.hasPrefix("cached.example.test. ") && $0.hasSuffix("IN A 192.0.2.7") },
                "\(entry)")
        // The type defaults to A; names are case-insensitive.
        #expect(try await stack.json("/cache?name=CACHED.example.TEST")["found"].bool == true)
        await stack.stop()
    }

    @Test("GET /cache answers 404, 400 as the request deserves", arguments: [
        ("/cache?name=never-asked.example.test&type=A", 404),
        ("/cache?name=cached.example.test&type=AAAA", 404),
        ("/cache", 400),
        ("/cache?type=A", 400),
        ("/cache?name=cached.example.test&type=NOSUCHTYPE", 400),
        ("/cache?name=" + String(repeating: "a", count: 70) + ".test", 400),
    ])
    func cacheLookupErrors(target: String, status: Int) async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("cached.example.test")
        let reply = try await stack.get(target)
        #expect(reply.status == status, "\(reply)")
        let body = try #require(reply.json, "\(reply)")
        if status == 404 {
            #expect(body["found"].bool == false)
        } else {
            #expect(body.keys == ["error"])
        }
        await stack.stop()
    }

    @Test func flushByNameThenEverything() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("a.example.test")
        try await stack.ask("a.example.test", .aaaa)
        try await stack.ask("b.example.test")
        try await stack.ask("c.example.test")
        let byName = try await stack.post("/cache/flush?name=A.example.test")
        #expect(byName.status == 200)
        #expect(byName.json == .object(["flushed": .number(2)]), "\(byName)")
        #expect(try await stack.get("/cache?name=a.example.test").status == 404)
        #expect(try await stack.get("/cache?name=b.example.test").status == 200)
        let all = try await stack.post("/cache/flush")
        #expect(all.json == .object(["flushed": .number(2)]), "\(all)")
        #expect(try await stack.json("/stats")["cache"]["entries"].int == 0)
        // The next question goes upstream again (to whichever provider is first up).
        let before = stack.upstreams.map(\.queryCount).reduce(0, +)
        try await stack.ask("b.example.test")
        #expect(stack.upstreams.map(\.queryCount).reduce(0, +) > before)
        await stack.stop()
    }

    @Test("Wrong method or path", arguments: [
        ("POST", "/health", 405), ("POST", "/stats", 405), ("POST", "/upstreams", 405), ("POST", "/metrics", 405),
        ("POST", "/cache?name=x.test", 405), ("GET", "/cache/flush", 405), ("GET", "/reload", 405),
        ("GET", "/nope", 404), ("DELETE", "/cache/flush", 405),
    ])
    func wrongMethodOrPath(method: String, target: String, status: Int) async throws {
        let stack = try await ObservedStack.start()
        let reply = try await ObservabilityHTTP.request(method, target, stack.socket)
        #expect(reply.status == status, "\(reply)")
        #expect(reply.json?.keys == ["error"], "\(reply)")
        // The daemon is unharmed.
        #expect(try await stack.get("/health").status == 200)
        await stack.stop()
    }

    @Test func reloadAppliesANewConfigAndRejectsABrokenOne() async throws {
        let stack = try await ObservedStack.start()
        let third = try await FakeUpstream.start()
        third.setDefaultIPv4(ObservedStack.answerAddress)
        var config = DaemonConfig(upstreams: stack.upstreams.map { .v4(UInt16($0.port)) } + [.v4(UInt16(third.port))])
        config.probeIntervalS = 1
        try stack.daemon.rewriteConfig(config)
        let ok = try await stack.post("/reload")
        #expect(ok.status == 200)
        #expect(ok.json == .object(["ok": .bool(true), "error": .null]), "\(ok)")
        let names = try await stack.json("/upstreams")["providers"].array.map { $0["name"].string }
        #expect(names == ["p1", "p2", "p3"])
        #expect(try await stack.json("/health")["providers_total"].int == 3)
        let withThird = try await stack.metrics()
        #expect(withThird.samples("holdfast_upstream_up", ["provider": "p3", "server": third.address]).map(\.value) == [1])

        // Dropping p2 drops its up gauge: a removed server must not count as up (or down) forever.
        config.providers.remove(at: 1)
        try stack.daemon.rewriteConfig(config)
        #expect(try await stack.post("/reload").status == 200)
        let withoutSecond = try await stack.metrics()
        #expect(withoutSecond.samples("holdfast_upstream_up").map { $0.labels["provider"] ?? "" }.sorted() == ["p1", "p3"])

        let broken = stack.daemon.render(config)
            .replacingOccurrences(of: "policy = \"failover\"", with: "policy = \"sideways\"")
        try stack.daemon.rewriteConfig(text: broken)
        let rejected = try await stack.post("/reload")
        #expect(rejected.status == 400)
        let body = try #require(rejected.json, "\(rejected)")
        #expect(body["ok"].bool == false)
        #expect(body["error"].string?.contains("policy") == true, "\(body)")
        // The running config stays.
        #expect(try await stack.json("/health")["providers_total"].int == 2)
        #expect(try await stack.ask("after-reload.example.test").rcode == .noError)
        await stack.stop()
        await third.shutdown()
    }

    @Test func metricsAreServedAsPrometheusText() async throws {
        let stack = try await ObservedStack.start()
        let reply = try await stack.get("/metrics")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        _ = try PrometheusText(parsing: reply.body)
        await stack.stop()
    }

    @Test func queryLogIsOffByDefault() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("quiet.example.test")
        // The request to /stats is answered after the query was counted (and logged, if on).
        #expect(try await stack.json("/stats")["total_queries"].int == 1)
        #expect(!stack.daemon.stderr.all.contains { $0.contains("quiet.example.test") })
        await stack.stop()
    }

    @Test func queryLogWritesOneLinePerQueryWhenOn() async throws {
        let stack = try await ObservedStack.start { $0.extra = "[log]\nqueries = true" }
        try await stack.ask("loud.example.test")
        try await stack.ask("loud.example.test", over: .tcp)
        let first = try await stack.daemon.waitForLog(containing: "name=loud.example.test.")
        for field in ["client=127.0.0.1:", "type=A", "protocol=udp", "rcode=NOERROR", "source=upstream", "provider=p1", "latency_us="] {
            #expect(first.contains(field), "missing \(field) in \(first)")
        }
        let second = try await stack.daemon.stderr.waitFor(timeout: .seconds(10), "second query line") {
            $0.contains("name=loud.example.test.") && $0.contains("protocol=tcp")
        }
        #expect(second.contains("source=cache") && second.contains("provider=-"), "\(second)")
        #expect(stack.daemon.stderr.all.filter { $0.contains("name=loud.example.test.") }.count == 2)
        await stack.stop()
    }
}
