// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import FoundationEssentials
import HoldfastControlModels

/// What a command could not do, with the exit status it maps to.
public struct CommandFailure: Error, Equatable, CustomStringConvertible {
    /// The one line printed to stderr after `holdfastctl: `.
    public var message: String
    /// The process exit status.
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// The control API as typed calls: each returns the decoded report and the raw body (for `--json`).
public struct ControlClient: Sendable {
    /// A decoded answer, its HTTP status and its body exactly as received.
    public struct Reply<Report: Sendable>: Sendable {
        public var status: Int
        public var report: Report
        public var raw: String
    }

    public let http: UnixHTTPClient

    public init(socketPath: String, timeoutSeconds: Int = 30) {
        http = UnixHTTPClient(socketPath: socketPath, timeoutSeconds: timeoutSeconds)
    }

    public func health() throws(CommandFailure) -> Reply<HealthReport> {
        try get(ControlAPI.Path.health, accepting: [200, 503])
    }

    /// `GET /livez` or `/readyz`: any HTTP status is an answer (200 passes); the body is read
    /// when it is a `ProbeReport`.
    public func probe(_ path: String) throws(CommandFailure) -> (status: Int, report: ProbeReport?, raw: String) {
        let answer = try send("GET", path)
        return (answer.status, try? ControlAPI.decode(ProbeReport.self, from: Data(answer.body)), answer.text)
    }

    public func stats() throws(CommandFailure) -> Reply<StatsReport> {
        try get(ControlAPI.Path.stats)
    }

    public func upstreams() throws(CommandFailure) -> Reply<UpstreamsReport> {
        try get(ControlAPI.Path.upstreams)
    }

    public func metrics() throws(CommandFailure) -> String {
        let answer = try send("GET", ControlAPI.Path.metrics)
        guard answer.status == 200 else { throw apiFailure(answer) }
        return answer.text
    }

    public func cacheEntry(name: String, type: String?) throws(CommandFailure) -> Reply<CacheEntryReport> {
        var target = ControlAPI.Path.cache + "?name=" + Self.escape(name)
        if let type { target += "&type=" + Self.escape(type) }
        return try get(target, accepting: [200, 404])
    }

    public func flush(name: String?) throws(CommandFailure) -> Reply<FlushReport> {
        var target = ControlAPI.Path.cacheFlush
        if let name { target += "?name=" + Self.escape(name) }
        return try decode(send("POST", target), accepting: [200])
    }

    public func reload() throws(CommandFailure) -> Reply<ReloadReport> {
        try decode(send("POST", ControlAPI.Path.reload), accepting: [200, 400])
    }

    func get<Report: Decodable & Sendable>(_ target: String, accepting: Set<Int> = [200]) throws(CommandFailure) -> Reply<Report> {
        try decode(send("GET", target), accepting: accepting)
    }

    func send(_ method: String, _ target: String) throws(CommandFailure) -> HTTPAnswer {
        do {
            return try http.send(method: method, target: target)
        } catch {
            throw CommandFailure(error.description, exitCode: 2)
        }
    }

    func decode<Report: Decodable & Sendable>(_ answer: HTTPAnswer, accepting: Set<Int>) throws(CommandFailure) -> Reply<Report> {
        guard accepting.contains(answer.status) else { throw apiFailure(answer) }
        do {
            let report = try ControlAPI.decode(Report.self, from: Data(answer.body))
            return Reply(status: answer.status, report: report, raw: answer.text)
        } catch {
            throw CommandFailure("unexpected answer from holdfastd (HTTP \(answer.status)): \(error)", exitCode: 2)
        }
    }

    func apiFailure(_ answer: HTTPAnswer) -> CommandFailure {
        let detail = (try? ControlAPI.decode(ErrorReport.self, from: Data(answer.body)))?.error ?? answer.text
        return CommandFailure("holdfastd answered HTTP \(answer.status): \(detail.trimmedOfWhitespace)", exitCode: 1)
    }

    /// Percent-encodes a query value.
    static func escape(_ value: String) -> String {
        value.percentEncodedForQuery
    }
}
