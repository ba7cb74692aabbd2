// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

/// `/metrics` of a running holdfastd: strict Prometheus text, every metric SPEC.md names with
/// its type and labels, and counters that move with the queries a test asks.
@Suite("Prometheus metrics of a running holdfastd", .serialized)
struct ObservabilityMetricsTests {
    /// SPEC.md's metrics (plus the request-duration histogram): family → (type, label names).
    static let required: [String: (type: String, labels: Set<String>)] = [
        "holdfast_queries_total": ("counter", ["protocol", "rcode"]),
        "holdfast_cache_hits_total": ("counter", []),
        "holdfast_cache_misses_total": ("counter", []),
        "holdfast_cache_stale_answers_total": ("counter", []),
        "holdfast_cache_entries": ("gauge", []),
        "holdfast_upstream_requests_total": ("counter", ["provider", "server", "outcome"]),
        "holdfast_upstream_rtt_seconds": ("histogram", ["provider"]),
        "holdfast_upstream_up": ("gauge", ["provider", "server"]),
        "holdfast_coalesced_total": ("counter", []),
        "holdfast_prefetches_total": ("counter", []),
        "holdfast_last_known_good_total": ("counter", []),
        "holdfast_answer_collapses_total": ("counter", []),
        "holdfast_answers_held": ("gauge", []),
        "holdfast_request_duration_seconds": ("histogram", ["result"]),
    ]

    @Test func everySpecMetricIsExportedWithItsTypeAndLabels() async throws {
        let stack = try await ObservedStack.start()
        try await stack.ask("first.example.test")  // the RTT histogram appears with the first answer
        let metrics = try await stack.metrics()
        for (family, expected) in Self.required {
            #expect(metrics.types[family] == expected.type, "\(family)")
            #expect(metrics.labelNames(of: family) == expected.labels, "\(family)")
        }
        for family in metrics.families {
            #expect(family.hasPrefix("holdfast_"), "\(family)")
        }
        for sample in metrics.samples {
            #expect(sample.name.hasPrefix("holdfast_"), "\(sample.name)")
            #expect(!sample.value.isNaN, "\(sample)")
            if metrics.types[sample.name] == "counter" { #expect(sample.value >= 0, "\(sample)") }
        }
        // Every server has an up gauge from the start, and both are up.
        for index in 0..<2 {
            #expect(metrics.samples("holdfast_upstream_up", ["provider": "p\(index + 1)", "server": stack.serverLabel(index)])
                .map(\.value) == [1])
        }
        await stack.stop()
    }

    @Test func countersMoveWithQueries() async throws {
        let stack = try await ObservedStack.start()
        let before = try await stack.metrics()
        try await stack.ask("move.example.test")
        try await stack.ask("move.example.test")
        try await stack.ask("move.example.test", .aaaa)
        try await stack.ask("move.example.test", over: .tcp)
        try await stack.ask("localhost")
        let after = try await stack.metrics()
        func delta(_ name: String, _ labels: [String: String] = [:]) -> Double {
            after.sum(name, labels) - before.sum(name, labels)
        }
        #expect(delta("holdfast_queries_total", ["protocol": "udp", "rcode": "NOERROR"]) == 3)
        #expect(delta("holdfast_queries_total", ["protocol": "udp", "rcode": "NXDOMAIN"]) == 1)
        #expect(delta("holdfast_queries_total", ["protocol": "tcp", "rcode": "NOERROR"]) == 1)
        #expect(delta("holdfast_queries_total") == 5)
        #expect(delta("holdfast_cache_hits_total") == 2)
        #expect(delta("holdfast_cache_misses_total") == 2)
        #expect(delta("holdfast_cache_stale_answers_total") == 0)
        // Two questions went upstream, to p1 first; on a loaded machine an RTO may also have
        // moved one on to p2, so per-provider figures are lower bounds.
        let p1 = ["provider": "p1", "server": stack.serverLabel(0)]
        #expect(delta("holdfast_upstream_requests_total", p1.merging(["outcome": "answer"]) { $1 }) >= 1)
        #expect(delta("holdfast_upstream_requests_total", ["outcome": "answer"]) >= 2)
        #expect(after.sum("holdfast_upstream_rtt_seconds_count") >= 2)
        #expect(after.sum("holdfast_upstream_rtt_seconds_sum", ["provider": "p1"]) > 0)
        #expect(after.sum("holdfast_cache_entries") == 2)
        #expect(delta("holdfast_request_duration_seconds_count", ["result": "cache"]) == 2)
        #expect(delta("holdfast_request_duration_seconds_count", ["result": "upstream"]) == 2)
        #expect(delta("holdfast_request_duration_seconds_count", ["result": "local"]) == 1)
        await stack.stop()
    }

    @Test func upstreamFailuresAreCountedByOutcomeAndTheServerGoesDown() async throws {
        let stack = try await ObservedStack.start(failFast: true)
        try await stack.upstreams[0].setBehaviour(.closed)
        try await stack.upstreams[1].setBehaviour(.servfail)
        let answer = try await stack.ask("broken.example.test")
        #expect(answer.rcode == .serverFailure)
        // Attempts are counted as c-ares finishes them, which may be just after the answer. Each
        // server got the question and, suspect after failing it, one probe (which failed too).
        let counted = await eventually(timeout: .seconds(5)) {
            let metrics = try? await stack.metrics()
            return ["p1", "p2"].allSatisfy { (metrics?.sum("holdfast_upstream_requests_total", ["provider": $0]) ?? 0) >= 2 }
        }
        #expect(counted)
        let metrics = try await stack.metrics()
        let upstreams = try await stack.json("/upstreams")
        // Refused at once (network_error); "timeout" if the refusal never reached c-ares (seen
        // about once in ten parallel runs, see the report). Labels are the snake_case raw values.
        let p1Failures = metrics.sum("holdfast_upstream_requests_total", ["provider": "p1", "outcome": "network_error"])
            + metrics.sum("holdfast_upstream_requests_total", ["provider": "p1", "outcome": "timeout"])
        #expect(p1Failures == 2, "\(metrics.samples("holdfast_upstream_requests_total")) \(upstreams)")
        #expect(metrics.sum("holdfast_upstream_requests_total", ["provider": "p2", "outcome": "servfail"]) == 2)
        #expect(metrics.sum("holdfast_queries_total", ["rcode": "SERVFAIL"]) == 1)
        // The up gauges follow the status board, published a moment after the answer.
        let allDown = await eventually(timeout: .seconds(5)) { (try? await stack.metrics())?.sum("holdfast_upstream_up") == 0 }
        #expect(allDown)
        #expect(metrics.sum("holdfast_request_duration_seconds_count", ["result": "error"]) == 1)
        let stats = try await stack.json("/stats")
        #expect(stats["upstream"]["failures"].int == 4)
        await stack.stop()
    }

    @Test func staleAnswersAreCountedAndDegradeHealth() async throws {
        let stack = try await ObservedStack.start(providers: 1, failFast: true) { config in
            config.staleEnabled = true
            config.staleAnswerTTLs = 30
        }
        let name = try DNSName("short.example.test")
        stack.upstreams[0].setRecords([DNSRecord(name: name, type: .a, ttl: 1, data: .a([192, 0, 2, 9]))])
        try await stack.ask("short.example.test")
        // Wait for the 1 s TTL to run out, as the daemon's own cache view reports it.
        let expired = await eventually(timeout: .seconds(10)) {
            (try? await stack.json("/cache?name=short.example.test"))?["stale"].bool == true
        }
        #expect(expired)
        try await stack.upstreams[0].setBehaviour(.closed)
        let answer = try await stack.ask("short.example.test")
        #expect(answer.rcode == .noError)
        #expect(answer.answers.first?.ttl == 30)
        let metrics = try await stack.metrics()
        #expect(metrics.sum("holdfast_cache_stale_answers_total") == 1)
        #expect(metrics.sum("holdfast_request_duration_seconds_count", ["result": "stale"]) == 1)
        let stats = try await stack.json("/stats")
        #expect(stats["cache"]["stale"].int == 1)
        let health = try await stack.json("/health", status: 503)
        // The only provider is down (failing wins), and the stale answer is one of the reasons.
        #expect(health["status"].string == "failing")
        #expect(health["stale_answers_last_minute"].int == 1)
        #expect(health["reasons"].array.contains { $0.string?.contains("stale") == true }, "\(health)")
        // Restored: the provider is up again, but a stale answer in the last minute still degrades.
        try await stack.restore(0)
        let recovered = await eventually { (try? await stack.healthStatus()) == "degraded" }
        let final = try await stack.get("/health")
        #expect(recovered, "\(final)")
        await stack.stop()
    }

    @Test func metricsListenServesOnlyMetricsAndHealth() async throws {
        let stack = try await ObservedStack.start(metricsListen: true)
        let port = try #require(stack.metricsPort)
        try await stack.ask("tcp-listen.example.test")
        let metrics = try await ObservabilityHTTP.get("/metrics", .tcp(port))
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let parsed = try PrometheusText(parsing: metrics.body)
        #expect(parsed.sum("holdfast_cache_misses_total") == 1)
        let health = try await ObservabilityHTTP.get("/health", .tcp(port))
        #expect(health.status == 200)
        #expect(health.json?["status"].string == "ok")
        for (method, target) in [("GET", "/stats"), ("GET", "/upstreams"), ("GET", "/cache?name=tcp-listen.example.test"),
                                 ("POST", "/cache/flush"), ("POST", "/reload")] {
            let reply = try await ObservabilityHTTP.request(method, target, .tcp(port))
            #expect(reply.status == 404, "\(method) \(target): \(reply)")
        }
        // Nothing was flushed through the TCP port.
        #expect(try await stack.json("/stats")["cache"]["entries"].int == 1)
        await stack.stop()
    }

    @Test("The parser rejects what Prometheus would reject", arguments: [
        "holdfast_x 1\n",                                                            // no TYPE
        "# TYPE holdfast_x counter\nholdfast_x one\n",                               // not a number
        "# TYPE holdfast_x counter\nholdfast_x{a=\"1\"} 1\nholdfast_x{b=\"1\"} 1\n", // label sets differ
        "# TYPE holdfast_x counter\nholdfast_x{a=1} 1\n",                            // unquoted value
        "# TYPE holdfast_x counter\n# TYPE holdfast_x gauge\nholdfast_x 1\n",        // two TYPEs
        "# TYPE holdfast_h histogram\nholdfast_h_bucket{le=\"1\"} 2\nholdfast_h_bucket{le=\"+Inf\"} 1\nholdfast_h_count 1\n",
        "# TYPE holdfast_h histogram\nholdfast_h_bucket{le=\"1\"} 1\nholdfast_h_count 1\n",  // no +Inf
        "# TYPE 1holdfast counter\n1holdfast 1\n",                                   // bad name
    ])
    func parserRejects(text: String) {
        #expect(throws: ObservabilityError.self) { try PrometheusText(parsing: text) }
    }

    @Test func parserAcceptsEscapesHistogramsAndTimestamps() throws {
        let text = """
            # HELP holdfast_x Something.
            # TYPE holdfast_x counter
            holdfast_x{a="q\\"uote\\\\ \\n"} 3 1700000000000
            # TYPE holdfast_h histogram
            holdfast_h_bucket{p="a",le="0.5"} 1
            holdfast_h_bucket{p="a",le="+Inf"} 2
            holdfast_h_sum{p="a"} 0.7
            holdfast_h_count{p="a"} 2

            """
        let parsed = try PrometheusText(parsing: text)
        #expect(parsed.samples("holdfast_x").first?.labels["a"] == "q\"uote\\ \n")
        #expect(parsed.labelNames(of: "holdfast_h") == ["p"])
        #expect(parsed.sum("holdfast_h_count") == 2)
    }
}
