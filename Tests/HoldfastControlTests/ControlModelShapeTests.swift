// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import HoldfastControlModels
import Testing

/// SPEC "Control socket": every key of every JSON object is always present, `null` when its
/// value is not known yet, so `jq '.providers[].servers[].last_error'` works on a fresh daemon.
@Suite struct ControlModelShapeTests {
    static func object(_ value: some Encodable) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: ControlAPI.encode(value), options: [.fragmentsAllowed])
        return try #require(parsed as? [String: Any])
    }

    /// One JSON key per stored property, whatever is nil.
    static func expectEveryProperty(_ value: some Encodable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let keys = try object(value).keys.sorted()
        let properties = Mirror(reflecting: value).children.count
        #expect(keys.count == properties, "\(type(of: value)) encodes \(keys) for \(properties) properties", sourceLocation: sourceLocation)
    }

    static let unmeasured = UpstreamsReport.Server(
        address: "192.0.2.1:53", state: .up, srttMilliseconds: nil, consecutiveFailures: 0, lastError: nil, requests: 0, failures: 0)

    @Test func unknownUpstreamFiguresAreNullNotMissing() throws {
        let server = try Self.object(Self.unmeasured)
        #expect(server["srtt_ms"] is NSNull, "\(server)")
        #expect(server["last_error"] is NSNull, "\(server)")
        #expect(Set(server.keys) == [
            "address", "state", "suspect", "srtt_ms", "consecutive_failures", "last_error", "requests", "failures",
            "transport", "connections_open", "tls_handshakes", "tls_resumed",
        ])
        #expect(server["transport"] as? String == "dns")
        for key in ["connections_open", "tls_handshakes", "tls_resumed"] { #expect(server[key] is NSNull, "\(key)") }
    }

    @Test func cacheEntryNotFoundHasANullRcode() throws {
        let entry = try Self.object(CacheEntryReport.notFound(name: "x.test.", type: "A"))
        #expect(entry["rcode"] is NSNull, "\(entry)")
        #expect(entry["failure"] is NSNull, "\(entry)")
        #expect(Set(entry.keys) == ["name", "type", "found", "ttl_remaining_s", "stale", "rcode", "records", "failure"])
    }

    @Test func successfulReloadHasANullError() throws {
        let reload = try Self.object(ReloadReport.success)
        #expect(reload["ok"] as? Bool == true)
        #expect(reload["error"] is NSNull, "\(reload)")
    }

    @Test func everyModelEncodesEveryProperty() throws {
        let stats = StatsReport(
            uptimeSeconds: 0, queries: [:], totalQueries: 0, cache: .init(hits: 0, misses: 0, stale: 0, evictions: 0, entries: 0),
            coalesced: 0, prefetches: 0, lastKnownGood: 0, upstream: .init(requests: 0, failures: 0), queriesPerSecond: 0,
            cacheHitRatio: 0)
        try Self.expectEveryProperty(HealthReport(
            status: .ok, reasons: [], uptimeSeconds: 0, providersUp: 0, providersTotal: 0, staleAnswersLastMinute: 0))
        try Self.expectEveryProperty(stats)
        try Self.expectEveryProperty(stats.cache)
        try Self.expectEveryProperty(stats.upstream)
        try Self.expectEveryProperty(UpstreamsReport(providers: []))
        try Self.expectEveryProperty(UpstreamsReport.Provider(name: "p", state: .up, servers: []))
        try Self.expectEveryProperty(Self.unmeasured)
        try Self.expectEveryProperty(CacheEntryReport.notFound(name: "x.test.", type: "A"))
        try Self.expectEveryProperty(CacheEntryReport.FailureEntry(ttlRemainingSeconds: 4, failures: 2))
        try Self.expectEveryProperty(FlushReport(flushed: 0))
        try Self.expectEveryProperty(ReloadReport.success)
        try Self.expectEveryProperty(ReloadReport.failure("bad"))
        try Self.expectEveryProperty(ErrorReport(error: "bad"))
    }

    /// A client decodes nulls (and an older daemon's missing keys) as nil and writes them back as null.
    @Test func decodingKeepsNullKeys() throws {
        let body = Data("""
            {"address": "192.0.2.1:53", "state": "down", "srtt_ms": null, "consecutive_failures": 3,
             "last_error": null, "requests": 5, "failures": 3}
            """.utf8)
        let server = try ControlAPI.decode(UpstreamsReport.Server.self, from: body)
        #expect(server.srttMilliseconds == nil)
        #expect(server.lastError == nil)
        let again = try Self.object(server)
        #expect(again["srtt_ms"] is NSNull && again["last_error"] is NSNull, "\(again)")
        // An older daemon sent no transport: it spoke plain DNS only.
        #expect(server.transport == "dns" && server.connectionsOpen == nil && server.tlsHandshakes == nil)

        let older = Data(#"{"name": "x.test.", "type": "A", "found": false, "ttl_remaining_s": 0, "stale": false, "records": []}"#.utf8)
        let entry = try ControlAPI.decode(CacheEntryReport.self, from: older)
        #expect(entry == .notFound(name: "x.test.", type: "A"))
        #expect(try Self.object(entry)["rcode"] is NSNull)

        let reload = try ControlAPI.decode(ReloadReport.self, from: Data(#"{"ok": true, "error": null}"#.utf8))
        #expect(reload == .success)
        let measured = UpstreamsReport.Server(
            address: "192.0.2.1:53", state: .down, srttMilliseconds: 12.5, consecutiveFailures: 1, lastError: "timeout",
            requests: 2, failures: 1)
        #expect(try ControlAPI.decode(UpstreamsReport.Server.self, from: ControlAPI.encode(measured)) == measured)
    }
}
