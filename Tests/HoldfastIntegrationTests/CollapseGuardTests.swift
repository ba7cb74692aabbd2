// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// The October 2025 shape through holdfastd with the shipped defaults and nothing listed
    /// (SPEC.md: "When an answer collapses"), time scaled down: a record answered for a while
    /// (TTL 1 s), then both providers answer NOERROR with no data, then it comes back. dig sees
    /// the old address throughout the guard window (`collapse_hold_s`, 12 s here), and the
    /// operator sees the incident in the log, the metrics, `/health`, `held` and `query`.
    @Suite("holdfastd holds a record that goes empty", .serialized)
    struct CollapseGuardTests {
        static let name = "dynamodb.us-east-1.example.test"
        static let old: [UInt8] = [192, 0, 2, 44]
        static let back: [UInt8] = [192, 0, 2, 45]
        static let hold = Duration.seconds(12)

        static func dig(_ stack: ObservedStack) async throws -> DigResult {
            try await Dig.query(name, "A", server: stack.daemon.address)
        }

        @Test func theOctober2025Shape() async throws {
            let stack = try await ObservedStack.start { $0.collapseHoldS = 12 }
            for upstream in stack.upstreams {
                upstream.setDefaultIPv4(nil)
                upstream.setRecords([try DNSRecord.a(Self.name, Self.old, ttl: 1)])
            }
            // Answered for a while.
            for _ in 0..<3 {
                let answer = try await Self.dig(stack)
                #expect(answer.answerData("A") == ["192.0.2.44"], "\(answer)")
                try await resilienceSleep(until: ContinuousClock.now + .milliseconds(400))
            }
            // The authority goes wrong: NOERROR, no A record, at every provider.
            let logMark = stack.daemon.stderr.count
            let txt = DNSRecord(name: try DNSName(Self.name), type: .txt, ttl: 1, data: .txt([Array("v=empty".utf8)]))
            for upstream in stack.upstreams { upstream.setRecords([txt]) }
            let outageStarted = ContinuousClock.now

            // Throughout the guard window (which starts at the collapse, at or after this
            // moment), dig sees the old address: the first 2.5 s here (the cached answer
            // expires, the collapse), the rest after the operator's look below.
            var held = 0
            while ContinuousClock.now < outageStarted + .milliseconds(2500) {
                let answer = try await Self.dig(stack)
                #expect(answer.status == "NOERROR" && answer.answerData("A") == ["192.0.2.44"], "\(answer)")
                if answer.extendedErrors.contains(where: { $0.code == 3 }) {
                    held += 1
                    #expect(answer.answers.first?.ttl == 30, "\(answer)")
                }
                try await resilienceSleep(until: ContinuousClock.now + .milliseconds(250))
            }
            #expect(held > 0, "no answer came from the hold")

            // Seen at once: one warning line, the metrics, /health, held, query.
            let warning = try await stack.daemon.waitForLog(containing: "answer collapsed", from: logMark, timeout: .seconds(5))
            for fragment in ["warn", Self.name, "192.0.2.44", "NOERROR, no data", "held_until", "confirmed_by"] {
                #expect(warning.lowercased().contains(fragment.lowercased()), "\(fragment) missing in \(warning)")
            }
            #expect(stack.daemon.stderr.all.dropFirst(logMark).filter { $0.contains("answer collapsed") }.count == 1)
            let metrics = try await stack.metrics()
            #expect(metrics.sum("holdfast_answer_collapses_total") == 1)
            #expect(metrics.sum("holdfast_answers_held") == 1)
            #expect(metrics.sum("holdfast_last_known_good_total") >= Double(held))
            let health = try await stack.json("/health")
            #expect(health["status"].string == "degraded")
            #expect(health["reasons"].array.contains { $0.string?.contains("1 name is held") == true }, "\(health)")
            let heldRun = try await stack.ctl(["held"])
            #expect(heldRun.status == 0, "\(heldRun)")
            #expect(heldRun.lines.count == 2, "\(heldRun)")
            #expect(heldRun.lines.last?.contains(Self.name + ".") == true && heldRun.lines.last?.contains("collapse") == true
                && heldRun.lines.last?.contains("NOERROR, no data") == true && heldRun.lines.last?.hasSuffix("192.0.2.44") == true,
                "\(heldRun)")
            let heldJSON = try #require(try await stack.ctl(["--json", "held"]).json)
            #expect(heldJSON["count"].int == 1)
            #expect(heldJSON["held"][0]["reason"].string == "collapse")
            let query = try await stack.ctl(["query", Self.name])
            #expect(query.status == 0, "\(query)")
            #expect(query.value(of: "source") == "held", "\(query)")
            #expect(query.value(of: "ede") == "3 (Stale Answer)", "\(query)")
            #expect(query.stdout.contains("30 IN A 192.0.2.44"), "\(query)")
            let queryJSON = try #require(try await stack.ctl(["--json", "query", Self.name]).json)
            #expect(queryJSON["source"].string == "held")
            #expect(queryJSON["provider"] == .null)
            let healthRun = try await stack.ctl(["health"])
            #expect(healthRun.status == 1, "\(healthRun)")
            print("FIGURES collapse log: \(warning)\nFIGURES held:\n\(heldRun.stdout)\nFIGURES query:\n\(query.stdout)\nFIGURES health: \(healthRun.stdout)")

            // The guard window ends: the empty answer passes through, the hold is gone.
            var passedAt: ContinuousClock.Instant?
            while passedAt == nil, ContinuousClock.now < outageStarted + Self.hold + .seconds(4) {
                let asked = ContinuousClock.now
                let answer = try await Self.dig(stack)
                if answer.status == "NOERROR" && answer.answers.isEmpty {
                    passedAt = ContinuousClock.now
                } else {
                    #expect(answer.answerData("A") == ["192.0.2.44"], "\(answer)")
                }
                if asked < outageStarted + Self.hold { #expect(passedAt == nil, "passed through inside the guard window") }
                try await resilienceSleep(until: ContinuousClock.now + .milliseconds(200))
            }
            let passed = try #require(passedAt, "the empty answer never passed through")
            #expect(passed - outageStarted >= Self.hold)
            print("FIGURES collapse: outage at 0, empty answer passed through at \(passed - outageStarted) (collapse_hold_s 12, TTL 1)")
            #expect(try await stack.ctl(["held"]).stdout == "no names held")
            #expect(try await stack.metrics().sum("holdfast_answers_held") == 0)
            let after = try await stack.json("/health")
            #expect(!after["reasons"].array.contains { $0.string?.contains("held") == true }, "\(after)")

            // Back: the new address, asked upstream.
            for upstream in stack.upstreams { upstream.setRecords([try DNSRecord.a(Self.name, Self.back, ttl: 60)]) }
            var recovered = false
            let deadline = ContinuousClock.now + .seconds(5)
            while !recovered, ContinuousClock.now < deadline {
                recovered = try await Self.dig(stack).answerData("A") == ["192.0.2.45"]
                if !recovered { try await resilienceSleep(until: ContinuousClock.now + .milliseconds(200)) }
            }
            #expect(recovered)
            let cached = try #require(try await stack.ctl(["--json", "query", Self.name]).json)
            #expect(cached["source"].string == "cache")
            #expect(cached["answers"][0].string?.hasSuffix("IN A 192.0.2.45") == true, "\(cached)")
            await stack.stop()
        }

        /// One provider empties while the other still answers: not a collapse, the data wins,
        /// and `holdfastctl query` tells which provider answered and how many attempts it took.
        @Test func oneProviderEmptyWhileTheOtherAnswers() async throws {
            let stack = try await ObservedStack.start()
            for upstream in stack.upstreams {
                upstream.setDefaultIPv4(nil)
                upstream.setRecords([try DNSRecord.a(Self.name, Self.old, ttl: 1)])
            }
            #expect(try await Self.dig(stack).answerData("A") == ["192.0.2.44"])
            try await resilienceSleep(until: ContinuousClock.now + .milliseconds(1200))
            let txt = DNSRecord(name: try DNSName(Self.name), type: .txt, ttl: 1, data: .txt([Array("v=empty".utf8)]))
            stack.upstreams[0].setRecords([txt])
            let query = try #require(try await stack.ctl(["--json", "query", Self.name]).json)
            #expect(query["source"].string == "upstream", "\(query)")
            #expect(query["provider"].string == "p2", "\(query)")
            #expect(query["server"].string == stack.upstreams[1].address, "\(query)")
            #expect(query["attempts"].int == 2, "\(query)")
            #expect(query["answers"][0].string?.hasSuffix("IN A 192.0.2.44") == true, "\(query)")
            #expect(query["ede"].array.isEmpty)
            #expect(try await stack.ctl(["held"]).stdout == "no names held")
            #expect(try await stack.metrics().sum("holdfast_answer_collapses_total") == 0)
            await stack.stop()
        }

        /// `hold` and `release` on a live daemon, holds kept across a reload and a restart (the
        /// cache file).
        @Test func operatorHoldAndReleaseAcrossARestart() async throws {
            var upstreams: [FakeUpstream] = []
            for _ in 0..<2 {
                let upstream = try await FakeUpstream.start()
                upstream.setRecords([try DNSRecord.a(Self.name, Self.old, ttl: 60)])
                upstreams.append(upstream)
            }
            var config = DaemonConfig(upstreams: upstreams.map { LoopbackAddress.v4(UInt16($0.port)) })
            config.persist = true
            config.prefetch = false
            let stack = ObservedStack(upstreams: upstreams, daemon: try await DaemonProcess.start(config))
            let never = try await stack.ctl(["hold", "never.example.test"])
            #expect(never.status == 1, "\(never)")
            #expect(never.stderr.joined().contains("no positive answer for never.example.test A in the cache: nothing to hold"), "\(never)")
            #expect(try await Self.dig(stack).answerData("A") == ["192.0.2.44"])
            let hold = try await stack.ctl(["hold", Self.name, "--for", "2h"])
            #expect(hold.status == 0, "\(hold)")
            #expect(hold.stdout.hasPrefix("holding \(Self.name). A until "), "\(hold)")
            #expect(hold.stdout.contains("(2h 00m 00s): 192.0.2.44") || hold.stdout.contains("(1h 59m 59s): 192.0.2.44"), "\(hold)")
            // Reloaded: the hold is still there.
            let reload = try await stack.ctl(["reload"])
            #expect(reload.status == 0, "\(reload)")
            #expect(try await stack.ctl(["--json", "held"]).json?["count"].int == 1)
            // Restarted: the hold is still there.
            let code = await stack.daemon.stop()
            #expect(code == 0)
            let restarted = try await DaemonProcess.start(config, directory: stack.daemon.directory)
            let second = ObservedStack(upstreams: stack.upstreams, daemon: restarted)
            let heldJSON = try #require(try await second.ctl(["--json", "held"]).json)
            #expect(heldJSON["count"].int == 1, "\(heldJSON)")
            #expect(heldJSON["held"][0]["reason"].string == "operator")
            #expect((heldJSON["held"][0]["remaining_s"].int ?? 0) > 7000)
            let release = try await second.ctl(["release", Self.name])
            #expect(release.status == 0, "\(release)")
            #expect(release.stdout == "released 1 hold of \(Self.name) A")
            let again = try await second.ctl(["release", Self.name])
            #expect(again.status == 1, "\(again)")
            #expect(try await second.ctl(["held"]).stdout == "no names held")
            await second.stop()
        }
    }
}
