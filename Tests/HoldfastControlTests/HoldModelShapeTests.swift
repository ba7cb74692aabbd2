// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import HoldfastControlModels
import Testing

/// `/query` and `/held`: every key present, `null` for what is not known, and back again.
@Suite struct HoldModelShapeTests {
    static let unknown = QueryReport(
        name: "x.test.", type: "A", rcode: "SERVFAIL", source: "upstream", provider: nil, server: nil, attempts: nil, ede: [22],
        answers: [], authorities: [], ttl: nil, milliseconds: 1.5)
    static let entry = HeldReport.Entry(
        name: "x.test.", type: "A", dnssecOK: false, reason: "collapse", since: "2025-10-20T07:11:00Z",
        until: "2025-10-20T07:26:00Z", remainingSeconds: 900, records: ["x.test. A 192.0.2.1"], upstreamNow: nil, answersServed: 0)

    @Test func queryReportKeepsItsNulls() throws {
        try ControlModelShapeTests.expectEveryProperty(Self.unknown)
        let json = try ControlModelShapeTests.object(Self.unknown)
        for key in ["provider", "server", "attempts", "ttl_s"] { #expect(json[key] is NSNull, "\(key)") }
        #expect(try ControlAPI.decode(QueryReport.self, from: ControlAPI.encode(Self.unknown)) == Self.unknown)
    }

    @Test func heldReportKeepsItsNulls() throws {
        try ControlModelShapeTests.expectEveryProperty(Self.entry)
        let report = HeldReport(held: [Self.entry])
        try ControlModelShapeTests.expectEveryProperty(report)
        let json = try ControlModelShapeTests.object(Self.entry)
        #expect(json["upstream_now"] is NSNull)
        #expect(try ControlAPI.decode(HeldReport.self, from: ControlAPI.encode(report)) == report)
        try ControlModelShapeTests.expectEveryProperty(ReleaseReport(released: 0))
    }
}
