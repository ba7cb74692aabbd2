// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import ArgumentParser
import HoldfastControlModels

extension ControlClient {
    public func query(name: String, type: String?) throws(CommandFailure) -> Reply<QueryReport> {
        var target = ControlAPI.Path.query + "?name=" + Self.escape(name)
        if let type { target += "&type=" + Self.escape(type) }
        return try get(target)
    }

    public func held() throws(CommandFailure) -> Reply<HeldReport> {
        try get(ControlAPI.Path.held)
    }

    /// `POST /held`: the report, or nil with the raw 404 body when there is nothing to hold.
    public func hold(name: String, type: String?, seconds: Int?) throws(CommandFailure) -> (reply: Reply<HeldReport>?, notFound: String?) {
        var target = ControlAPI.Path.held + "?name=" + Self.escape(name)
        if let type { target += "&type=" + Self.escape(type) }
        if let seconds { target += "&for_s=\(seconds)" }
        let answer = try send("POST", target)
        if answer.status == 404 { return (nil, answer.text) }
        let reply: Reply<HeldReport> = try decode(answer, accepting: [200])
        return (reply, nil)
    }

    public func release(name: String, type: String?) throws(CommandFailure) -> Reply<ReleaseReport> {
        var target = ControlAPI.Path.held + "?name=" + Self.escape(name)
        if let type { target += "&type=" + Self.escape(type) }
        return try decode(send("DELETE", target), accepting: [200])
    }
}

/// `holdfastctl query NAME [TYPE]`: the answer a client gets now and where it came from.
struct QueryCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Resolve NAME through the daemon and show where the answer came from.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The name, e.g. example.com.") var name: String
    @Argument(help: "The record type (default A).") var type: String?

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let reply = try client.query(name: name, type: type)
        return CommandOutcome(stdout: global.json ? reply.raw : Render.query(reply.report))
    }
}

/// `holdfastctl held`: the names held now.
struct HeldCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "held", abstract: "List the names held (collapse guard, last-known-good, operator holds).")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let reply = try client.held()
        return CommandOutcome(stdout: global.json ? reply.raw : Render.held(reply.report))
    }
}

/// `holdfastctl hold NAME [TYPE] [--for DURATION]`: hold (or extend the hold of) a name's
/// last positive answer; exit 1 when there is none.
struct HoldCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Keep serving NAME's last positive answer (or extend its hold).",
        discussion: "DURATION is a number with s, m, h or d (90s, 15m, 2h, 1d); the default is resilience.collapse_hold_s.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The name, e.g. example.com.") var name: String
    @Argument(help: "The record type (default A).") var type: String?
    @Option(name: .customLong("for"), help: ArgumentHelp("How long from now, e.g. 90s, 15m, 2h, 1d.", valueName: "duration")) var duration: String?

    func validate() throws {
        if let duration, HoldDuration.seconds(duration) == nil {
            throw ValidationError("not a duration: \(duration) (use a number with s, m, h or d, e.g. 90s, 15m, 2h, 1d)")
        }
    }

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let seconds = duration.flatMap(HoldDuration.seconds)
        let result = try client.hold(name: name, type: type, seconds: seconds)
        guard let reply = result.reply else {
            if global.json { return CommandOutcome(stdout: result.notFound ?? "", exitCode: 1) }
            let shown = "\(name) \((type ?? "A").uppercased())"
            return CommandOutcome(stderr: "holdfastctl: no positive answer for \(shown) in the cache: nothing to hold\n", exitCode: 1)
        }
        return CommandOutcome(stdout: global.json ? reply.raw : Render.holdMade(reply.report))
    }
}

/// `holdfastctl release NAME [TYPE]`: end a hold; exit 1 when the name was not held.
struct ReleaseCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "End the hold of NAME, so the current upstream answer passes through.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The name, e.g. example.com.") var name: String
    @Argument(help: "The record type (default A).") var type: String?

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let reply = try client.release(name: name, type: type)
        let count = reply.report.released
        let code: Int32 = count > 0 ? 0 : 1
        if global.json { return CommandOutcome(stdout: reply.raw, exitCode: code) }
        let shown = "\(name) \((type ?? "A").uppercased())"
        guard count > 0 else { return CommandOutcome(stderr: "holdfastctl: \(shown) is not held\n", exitCode: 1) }
        return CommandOutcome(stdout: "released \(count) \(count == 1 ? "hold" : "holds") of \(shown)\n")
    }
}

/// `90s`, `15m`, `2h`, `1d` → seconds.
enum HoldDuration {
    static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number > 0 else { return nil }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default: return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow || seconds > 366 * 86_400 ? nil : seconds
    }
}

extension Render {
    static func query(_ report: QueryReport) -> String {
        var upstream = "-"
        if let provider = report.provider { upstream = provider + (report.server.map { " (\($0))" } ?? "") }
        let summary = TextTable(rows: [
            ["name", report.name],
            ["type", report.type],
            ["rcode", report.rcode],
            ["source", report.source],
            ["upstream", upstream],
            ["attempts", report.attempts.map(String.init) ?? "-"],
            ["ede", report.ede.isEmpty ? "-" : report.ede.map(edeText).joined(separator: ", ")],
            ["ttl", report.ttl.map { "\($0) s" } ?? "-"],
            ["time", Format.fixed(report.milliseconds, digits: 1) + " ms"],
        ])
        var text = summary.render()
        if !report.answers.isEmpty { text += "\n" + report.answers.map { $0 + "\n" }.joined() }
        if !report.authorities.isEmpty { text += "\nauthority:\n" + report.authorities.map { $0 + "\n" }.joined() }
        return text
    }

    static func edeText(_ code: Int) -> String {
        switch code {
        case 3: return "3 (Stale Answer)"
        case 15: return "15 (Blocked)"
        case 16: return "16 (Censored)"
        case 17: return "17 (Filtered)"
        case 18: return "18 (Prohibited)"
        case 22: return "22 (No Reachable Authority)"
        default: return "\(code)"
        }
    }

    static func held(_ report: HeldReport) -> String {
        guard !report.held.isEmpty else { return "no names held\n" }
        return TextTable(
            header: ["NAME", "TYPE", "REASON", "UNTIL", "LEFT", "UPSTREAM NOW", "SERVED", "HELD DATA"],
            rows: report.held.map { entry in
                [entry.name, entry.type + (entry.dnssecOK ? " +DO" : ""), entry.reason, entry.until,
                 Format.duration(Double(entry.remainingSeconds)), entry.upstreamNow ?? "-", "\(entry.answersServed)",
                 entry.records.map { $0.split(separator: " ").last.map(String.init) ?? $0 }.joined(separator: " ")]
            },
            rightAligned: [6]
        ).render()
    }

    static func holdMade(_ report: HeldReport) -> String {
        report.held.map { entry in
            let data = entry.records.map { $0.split(separator: " ").last.map(String.init) ?? $0 }.joined(separator: " ")
            return "holding \(entry.name) \(entry.type)\(entry.dnssecOK ? " +DO" : "") until \(entry.until) "
                + "(\(Format.duration(Double(entry.remainingSeconds)))): \(data)\n"
        }.joined()
    }
}
