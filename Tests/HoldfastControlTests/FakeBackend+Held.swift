// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastControlModels
import HoldfastControlServer

/// `/query` and `/held` for the fake daemon: `known.example.` has a positive answer to hold,
/// anything else has none; `lost.example.` is answered SERVFAIL with nothing known upstream.
extension FakeBackend {
    func query(name: String, type: String) async throws -> QueryReport {
        guard name != "bad..name" else { throw ControlBadRequest("not a valid DNS name: \(name)") }
        if name == "lost.example" {
            return QueryReport(
                name: "lost.example.", type: type, rcode: "SERVFAIL", source: "upstream", provider: nil, server: nil, attempts: nil,
                ede: [22], answers: [], authorities: [], ttl: nil, milliseconds: 1800.5)
        }
        return QueryReport(
            name: "known.example.", type: type, rcode: "NOERROR", source: "held", provider: "quad9", server: "127.0.0.1:5301",
            attempts: 2, ede: [3], answers: ["known.example. 30 IN A 192.0.2.7"], authorities: [], ttl: 30, milliseconds: 0.25)
    }

    func held() -> HeldReport {
        HeldReport(held: [Self.entry(remaining: 512, upstreamNow: "NOERROR, no data", reason: "collapse"),
                          Self.entry(remaining: 7200, upstreamNow: nil, reason: "operator", name: "op.example.")])
    }

    func hold(name: String, type: String, seconds: Int?) throws -> HeldReport? {
        guard name == "known.example" else { return nil }
        return HeldReport(held: [Self.entry(remaining: seconds ?? 900, upstreamNow: nil, reason: "operator")])
    }

    func release(name: String, type: String) throws -> ReleaseReport {
        ReleaseReport(released: name == "known.example" ? 1 : 0)
    }

    static func entry(remaining: Int, upstreamNow: String?, reason: String, name: String = "known.example.") -> HeldReport.Entry {
        HeldReport.Entry(
            name: name, type: "A", dnssecOK: false, reason: reason, since: "2025-10-20T07:11:00Z", until: "2025-10-20T07:26:00Z",
            remainingSeconds: remaining, records: ["\(name) A 192.0.2.7"], upstreamNow: upstreamNow, answersServed: 42)
    }
}
