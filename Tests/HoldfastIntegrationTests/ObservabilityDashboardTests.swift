// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Testing

/// `config/grafana-dashboard.json`: valid JSON, Prometheus data source as the `DS_PROMETHEUS`
/// variable, and queries that only name metrics a running holdfastd exports.
@Suite("Shipped Grafana dashboard", .serialized)
struct ObservabilityDashboardTests {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/grafana-dashboard.json").path

    static func dashboard() throws -> JSONValue {
        try JSONValue(parsing: String(contentsOfFile: path, encoding: .utf8))
    }

    /// Every value under the key `key`, anywhere in the document.
    static func values(of key: String, in json: JSONValue) -> [JSONValue] {
        switch json {
        case .object(let fields):
            return (fields[key].map { [$0] } ?? []) + fields.values.flatMap { values(of: key, in: $0) }
        case .array(let items):
            return items.flatMap { values(of: key, in: $0) }
        default:
            return []
        }
    }

    /// `holdfast_...` identifiers in a PromQL expression.
    static func metricNames(in expression: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(expression)
        while let start = rest.range(of: "holdfast_") {
            let tail = rest[start.lowerBound...]
            let end = tail.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") } ?? tail.endIndex
            names.insert(String(tail[..<end]))
            rest = tail[end...]
        }
        return names
    }

    @Test func isValidJSONWithTheDataSourceAsAVariable() throws {
        let dashboard = try Self.dashboard()
        #expect(dashboard["title"].string?.isEmpty == false)
        #expect(!dashboard["panels"].array.isEmpty)
        let variables = dashboard["templating"]["list"].array
        #expect(variables.contains { $0["name"].string == "DS_PROMETHEUS" && $0["type"].string == "datasource" && $0["query"].string == "prometheus" })
        let sources = Self.values(of: "datasource", in: dashboard["panels"])
        #expect(!sources.isEmpty)
        for source in sources {
            #expect(source["uid"].string == "${DS_PROMETHEUS}", "\(source)")
        }
        let ids = dashboard["panels"].array.compactMap { $0["id"].int }
        #expect(Set(ids).count == ids.count, "panel ids repeat")
    }

    @Test func queriesNameOnlyMetricsTheDaemonExportsAndChartEverySpecMetric() async throws {
        let expressions = Self.values(of: "expr", in: try Self.dashboard()["panels"]).compactMap(\.string)
        #expect(expressions.count >= 10)
        let used = expressions.reduce(into: Set<String>()) { $0.formUnion(Self.metricNames(in: $1)) }

        let stack = try await ObservedStack.start()
        try await stack.ask("dashboard.example.test")  // so that the RTT histogram exists
        let exported = try await stack.metrics()
        await stack.stop()
        for name in used {
            let family = PrometheusText.family(of: name, types: exported.types)
            #expect(exported.types[family] != nil, "the dashboard queries \(name), which holdfastd does not export")
            if family != name {
                #expect(exported.types[family] == "histogram", "\(name): suffix on a \(exported.types[family] ?? "?")")
            }
        }
        let charted = Set(used.map { PrometheusText.family(of: $0, types: exported.types) })
        for family in ObservabilityMetricsTests.required.keys {
            #expect(charted.contains(family), "no panel shows \(family)")
        }
    }
}
