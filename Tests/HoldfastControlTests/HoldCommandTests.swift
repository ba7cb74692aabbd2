// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import HoldfastControlModels
import HoldfastCtl
import Testing

@Suite("holdfastctl query, held, hold and release against a fake daemon")
struct HoldCommandTests {
    private func run(_ arguments: [String], socket: String) async -> CommandOutcome {
        (try? await offPool { Holdfastctl.execute(arguments: ["--socket", socket] + arguments) })
            ?? CommandOutcome(stderr: "offPool failed", exitCode: -1)
    }

    private func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func queryShowsTheAnswerAndWhereItCameFrom() async throws {
        try await withServer { running in
            let outcome = await run(["query", "known.example"], socket: running.socketPath)
            #expect(outcome.exitCode == 0)
            for fragment in ["source    held", "upstream  quad9 (127.0.0.1:5301)", "attempts  2", "ede       3 (Stale Answer)",
                             "ttl       30 s", "known.example. 30 IN A 192.0.2.7"] {
                #expect(outcome.stdout.contains(fragment), "missing \(fragment) in\n\(outcome.stdout)")
            }
            let lost = await run(["query", "lost.example", "AAAA"], socket: running.socketPath)
            #expect(lost.exitCode == 0)
            #expect(lost.stdout.contains("upstream  -"))
            #expect(lost.stdout.contains("attempts  -"))
            #expect(lost.stdout.contains("22 (No Reachable Authority)"))
        }
    }

    @Test func queryJSONHasEveryKeyWithNullsForWhatIsUnknown() async throws {
        try await withServer { running in
            let outcome = await run(["--json", "query", "lost.example"], socket: running.socketPath)
            #expect(outcome.exitCode == 0)
            let json = try object(outcome.stdout)
            #expect(Set(json.keys) == ["name", "type", "rcode", "source", "provider", "server", "attempts", "ede", "answers",
                                       "authorities", "ttl_s", "ms"])
            for key in ["provider", "server", "attempts", "ttl_s"] { #expect(json[key] is NSNull, "\(key) is not null") }
            #expect(json["ede"] as? [Int] == [22])
            let report = try ControlAPI.decode(QueryReport.self, from: Data(outcome.stdout.utf8))
            #expect(report.rcode == "SERVFAIL")
        }
    }

    @Test func aBadNameIsRefusedWithExit1() async throws {
        try await withServer { running in
            let outcome = await run(["query", "bad..name"], socket: running.socketPath)
            #expect(outcome.exitCode == 1)
            #expect(outcome.stderr.contains("not a valid DNS name: bad..name"))
        }
    }

    @Test func heldListsTheHoldsAsATableAndAsJSON() async throws {
        try await withServer { running in
            let outcome = await run(["held"], socket: running.socketPath)
            #expect(outcome.exitCode == 0)
            let lines = outcome.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("NAME"))
            #expect(lines[1].contains("collapse") && lines[1].contains("8m 32s") && lines[1].contains("NOERROR, no data")
                && lines[1].hasSuffix("192.0.2.7"))
            #expect(lines[2].contains("operator") && lines[2].contains("2h 00m 00s"))
            let json = try object(await run(["--json", "held"], socket: running.socketPath).stdout)
            #expect(json["count"] as? Int == 2)
            let first = try #require((json["held"] as? [[String: Any]])?.first)
            #expect(Set(first.keys) == ["name", "type", "dnssec_ok", "reason", "since", "until", "remaining_s", "records",
                                        "upstream_now", "answers_served"])
            let second = try #require((json["held"] as? [[String: Any]])?.last)
            #expect(second["upstream_now"] is NSNull)
        }
    }

    @Test(arguments: [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86_400)])
    func holdTakesADuration(duration: String, seconds: Int) async throws {
        try await withServer { running in
            let outcome = await run(["--json", "hold", "known.example", "--for", duration], socket: running.socketPath)
            #expect(outcome.exitCode == 0)
            let report = try ControlAPI.decode(HeldReport.self, from: Data(outcome.stdout.utf8))
            #expect(report.held.first?.remainingSeconds == seconds)
        }
    }

    @Test func holdSaysWhatItHeldAndRefusesANameWithNothingToHold() async throws {
        try await withServer { running in
            let made = await run(["hold", "known.example"], socket: running.socketPath)
            #expect(made.exitCode == 0)
            #expect(made.stdout == "holding known.example. A until 2025-10-20T07:26:00Z (15m 00s): 192.0.2.7\n")
            let none = await run(["hold", "never.example", "aaaa"], socket: running.socketPath)
            #expect(none.exitCode == 1)
            #expect(none.stdout == "")
            #expect(none.stderr == "holdfastctl: no positive answer for never.example AAAA in the cache: nothing to hold\n")
            let json = await run(["--json", "hold", "never.example"], socket: running.socketPath)
            #expect(json.exitCode == 1)
            let error = try object(json.stdout)["error"] as? String
            #expect(error == "no positive answer for never.example A in the cache: nothing to hold")
        }
    }

    @Test(arguments: ["15", "10w", "0m", "5x", "m", "999999d"])
    func holdRejectsABadDuration(duration: String) async throws {
        try await withServer { running in
            let outcome = await run(["hold", "known.example", "--for", duration], socket: running.socketPath)
            #expect(outcome.exitCode == 64)
            #expect(outcome.stderr.contains("not a duration"))
        }
    }

    @Test func releaseExits0WhenAHoldEndedAnd1WhenNothingWasHeld() async throws {
        try await withServer { running in
            let released = await run(["release", "known.example"], socket: running.socketPath)
            #expect(released.exitCode == 0)
            #expect(released.stdout == "released 1 hold of known.example A\n")
            let nothing = await run(["release", "other.example", "AAAA"], socket: running.socketPath)
            #expect(nothing.exitCode == 1)
            #expect(nothing.stderr == "holdfastctl: other.example AAAA is not held\n")
            let json = await run(["--json", "release", "other.example"], socket: running.socketPath)
            #expect(json.exitCode == 1)
            let count = try object(json.stdout)["released"] as? Int
            #expect(count == 0)
        }
    }

    @Test(arguments: [["query", "known.example"], ["held"], ["hold", "known.example"], ["release", "known.example"]])
    func unreachableDaemonIsExit2(arguments: [String]) async throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outcome = await run(arguments, socket: directory + "/missing.sock")
        #expect(outcome.exitCode == 2)
        #expect(outcome.stderr.contains(directory + "/missing.sock"))
    }
}
