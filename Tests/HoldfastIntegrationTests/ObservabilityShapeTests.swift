// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import HoldfastTestSupport
import Testing

/// SPEC "Control socket": every key of every JSON object is always there, `null` when not known
/// yet. Checked on a daemon that has done nothing yet — no query, so no upstream has an RTT or
/// an error — where a key left out for a nil value shows.
@Suite("Control API shape on a fresh holdfastd", .serialized)
struct ObservabilityShapeTests {
    /// The rcodes `/stats` and `holdfast_queries_total` count by name (the rest as OTHER).
    static let rcodes = ["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "BADVERS", "OTHER"]
    static let serverKeys: Set = [
        "address", "state", "suspect", "srtt_ms", "consecutive_failures", "last_error", "requests", "failures",
        "transport", "connections_open", "tls_handshakes", "tls_resumed",
    ]

    @Test func everyEndpointHasEveryKeyBeforeAnyQuery() async throws {
        let stack = try await ObservedStack.start()

        let health = try await stack.json("/health")
        #expect(health.keys == ["status", "reasons", "uptime_s", "providers_up", "providers_total", "stale_answers_last_minute"])

        for probe in ["/livez", "/readyz"] {
            let report = try await stack.json(probe)
            #expect(report.keys == ["ok", "reason"], "\(probe)")
            #expect(report["reason"] == .null, "\(probe): a passing probe has no reason")
        }

        let stats = try await stack.json("/stats")
        #expect(stats.keys == [
            "uptime_s", "queries", "total_queries", "cache", "coalesced", "prefetches", "last_known_good", "failure_cache_hits", "retry_budget_exhausted",
            "in_flight_limited", "upstream", "queries_per_second", "cache_hit_ratio",
        ])
        #expect(stats["queries"].keys == ["udp", "tcp"])
        for transport in ["udp", "tcp"] {
            #expect(stats["queries"][transport] == .object(Dictionary(uniqueKeysWithValues: Self.rcodes.map { ($0, .number(0)) })),
                    "\(stats["queries"])")
        }
        let metrics = try await stack.metrics()
        for transport in ["udp", "tcp"] {
            for rcode in Self.rcodes {
                #expect(metrics.samples("holdfast_queries_total", ["protocol": transport, "rcode": rcode]).map(\.value) == [0],
                        "\(transport) \(rcode)")
            }
        }
        #expect(stats["cache"].keys == ["hits", "misses", "stale", "evictions", "entries"])
        #expect(stats["upstream"].keys == ["requests", "failures"])

        let upstreams = try await stack.json("/upstreams")
        #expect(upstreams.keys == ["providers"])
        let providers = upstreams["providers"].array
        #expect(providers.count == 2)
        for provider in providers {
            #expect(provider.keys == ["name", "state", "servers"])
            for server in provider["servers"].array {
                #expect(server.keys == Self.serverKeys, "\(server)")
                #expect(server["srtt_ms"] == .null && server["last_error"] == .null, "\(server)")
            }
        }

        let missing = try await stack.get("/cache?name=never.example.test&type=A")
        #expect(missing.status == 404)
        let entry = try #require(missing.json, "\(missing)")
        #expect(entry.keys == ["name", "type", "found", "ttl_remaining_s", "stale", "rcode", "records", "failure"], "\(entry)")
        #expect(entry["rcode"] == .null)

        let flushed = try await stack.post("/cache/flush")
        #expect(flushed.json == .object(["flushed": .number(0)]), "\(flushed)")

        let notFound = try await stack.get("/nope")
        #expect(notFound.json?.keys == ["error"], "\(notFound)")

        let reload = try await stack.post("/reload")
        #expect(reload.status == 200)
        #expect(reload.json == .object(["ok": .bool(true), "error": .null]), "\(reload)")
        await stack.stop()
    }

    /// `--json` prints the API's JSON unchanged, nulls included.
    @Test func ctlJSONKeepsTheNullKeys() async throws {
        let stack = try await ObservedStack.start()
        let run = try await stack.ctl(["--json", "upstreams"])
        #expect(run.status == 0, "\(run)")
        let printed = try #require(run.json, "\(run)")
        #expect(printed["providers"][0]["servers"][0].keys == Self.serverKeys, "\(run)")
        #expect(printed == (try await stack.json("/upstreams")))

        let entry = try await stack.ctl(["--json", "cache", "show", "never.example.test"])
        #expect(entry.json?.keys.contains("rcode") == true, "\(entry)")
        #expect(entry.json?["rcode"] == .null, "\(entry)")
        await stack.stop()
    }
}
