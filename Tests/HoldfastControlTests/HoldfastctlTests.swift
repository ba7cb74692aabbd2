// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import HoldfastControlModels
import HoldfastCtl
import Testing

@Suite("holdfastctl commands against a fake daemon")
struct HoldfastctlTests {
    private func run(_ arguments: [String], socket: String) async -> CommandOutcome {
        (try? await offPool { Holdfastctl.execute(arguments: ["--socket", socket] + arguments) })
            ?? CommandOutcome(stderr: "offPool failed", exitCode: -1)
    }

    @Test("status shows health, rates and every provider")
    func status() async throws {
        try await withServer { running in
            let outcome = await run(["status"], socket: running.socketPath)
            #expect(outcome.exitCode == 0)
            #expect(outcome.stderr == "")
            for fragment in ["health           ok", "uptime           1h 02m 05s", "queries/s        12.5", "cache hit ratio  75.0 %",
                             "4 in the last minute", "2 of 2 up", "alpha           up", "beta-long-name  down"] {
                #expect(outcome.stdout.contains(fragment), "missing \(fragment) in\n\(outcome.stdout)")
            }
        }
    }

    @Test("stats lists every counter with the numbers right-aligned")
    func stats() async throws {
        try await withServer { running in
            let outcome = await run(["stats"], socket: running.socketPath)
            #expect(outcome.exitCode == 0)
            let lines = outcome.stdout.split(separator: "\n")
            for label in ["queries udp NOERROR", "queries tcp NOERROR", "cache hits", "cache evictions", "coalesced",
                          "prefetches", "last known good", "over max in flight", "upstream requests", "upstream failures"] {
                #expect(lines.contains { $0.hasPrefix(label + " ") }, "missing \(label)")
            }
            let numeric = lines.filter { $0.last?.isNumber == true }
            #expect(Set(numeric.map(\.count)).count == 1, "numbers do not end in one column:\n\(outcome.stdout)")
        }
    }

    @Test("upstreams prints an aligned table of providers and servers")
    func upstreams() async throws {
        try await withServer { running in
            let outcome = await run(["upstreams"], socket: running.socketPath)
            #expect(outcome.exitCode == 0)
            let lines = outcome.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 4)
            #expect(lines[0].hasPrefix("PROVIDER"))
            let stateColumn = try #require(lines[0].range(of: "STATE")).lowerBound.utf16Offset(in: lines[0])
            for line in lines.dropFirst() {
                let state = String(line.dropFirst(stateColumn).prefix(4))
                #expect(state == "up  " || state == "down", "misaligned: \(line)")
            }
            #expect(lines[3].contains("connection refused"))
            #expect(lines[1].contains("4.3 ms") || lines[1].contains("4.2 ms"))
        }
    }

    @Test("health prints the state and exits 0, 1 or 2", arguments: [
        (HealthReport.Status.ok, Int32(0), "ok\n"),
        (.degraded, 1, "degraded: provider beta down\n"),
        (.failing, 2, "failing: no provider has a server up\n"),
    ])
    func health(state: HealthReport.Status, exitCode: Int32, text: String) async throws {
        try await withServer { running in
            running.backend.set(health: state)
            let outcome = await run(["health"], socket: running.socketPath)
            #expect(outcome == CommandOutcome(stdout: text, exitCode: exitCode))
            let json = await run(["--json", "health"], socket: running.socketPath)
            #expect(json.exitCode == exitCode)
        }
    }

    @Test("probe live|ready exits 0 when the probe passes, 1 with the reason when it fails")
    func probe() async throws {
        try await withServer { running in
            running.backend.set(health: .failing)
            #expect(await run(["probe", "live"], socket: running.socketPath) == CommandOutcome(stdout: "live\n"))
            #expect(await run(["probe", "ready"], socket: running.socketPath) == CommandOutcome(stdout: "ready\n"))
            running.backend.set(ready: ProbeReport(ok: false, reason: "draining: stopping (SIGTERM)"))
            #expect(await run(["probe", "ready"], socket: running.socketPath)
                == CommandOutcome(stdout: "not ready: draining: stopping (SIGTERM)\n", exitCode: 1))
            running.backend.set(live: ProbeReport(ok: false, reason: "the resolver does not answer"))
            let json = await run(["--json", "probe", "live"], socket: running.socketPath)
            #expect(json.exitCode == 1)
            #expect(json.stdout.contains("\"reason\" : \"the resolver does not answer\""), "\(json.stdout)")
            let bad = await run(["probe", "sideways"], socket: running.socketPath)
            #expect(bad.exitCode != 0 && bad.exitCode != 1, "an unknown probe is a usage error, never a pass or a plain failure")
        }
    }

    @Test("--json prints the API body unchanged", arguments: [
        (["stats"], "/stats"), (["upstreams"], "/upstreams"), (["health"], "/health"),
        (["cache", "show", "example.com.", "AAAA"], "/cache?name=example.com.&type=AAAA"),
    ])
    func json(arguments: [String], path: String) async throws {
        try await withServer { running in
            let outcome = await run(arguments + ["--json"], socket: running.socketPath)
            var expected = try await request(running.socketPath, "GET", path).text
            if path == "/stats" {  // The fake's counters move with each call: compare the shape.
                expected = outcome.stdout
                #expect(try ControlAPI.decode(StatsReport.self, from: Data(outcome.stdout.utf8)).cache.entries == 412)
            }
            #expect(outcome.stdout == expected)
        }
    }

    @Test("cache show prints a cached entry, and says so when there is none")
    func cacheShow() async throws {
        try await withServer { running in
            let found = await run(["cache", "show", "example.com.", "AAAA"], socket: running.socketPath)
            #expect(found.exitCode == 0)
            #expect(found.stdout.contains("rcode    NOERROR"))
            #expect(found.stdout.contains("245 s left"))
            #expect(found.stdout.contains("  example.com. 245 IN AAAA 192.0.2.1\n"))
            let missing = await run(["cache", "show", "missing.example."], socket: running.socketPath)
            #expect(missing == CommandOutcome(stdout: "missing.example. A: not in the cache\n", exitCode: 1))
            let bad = await run(["cache", "show", "bad..name"], socket: running.socketPath)
            #expect(bad == CommandOutcome(stderr: "holdfastctl: holdfastd answered HTTP 400: invalid name: bad..name\n", exitCode: 1))
        }
    }

    @Test("cache flush reports the count and passes the name")
    func cacheFlush() async throws {
        try await withServer { running in
            #expect(await run(["cache", "flush"], socket: running.socketPath) == CommandOutcome(stdout: "flushed 412 entries\n"))
            #expect(await run(["cache", "flush", "example.com."], socket: running.socketPath) == CommandOutcome(stdout: "flushed 1 entry\n"))
            #expect(running.backend.script.withLock { $0.flushedNames } == [nil, "example.com."])
        }
    }

    @Test("metrics prints the Prometheus text as is")
    func metrics() async throws {
        try await withServer { running in
            #expect(await run(["metrics"], socket: running.socketPath) == CommandOutcome(stdout: running.backend.metricsText()))
        }
    }

    @Test("reload says so, or prints the rejection and exits 1")
    func reload() async throws {
        try await withServer { running in
            #expect(await run(["reload"], socket: running.socketPath) == CommandOutcome(stdout: "config reloaded\n"))
            running.backend.set(reloadError: "bad key upstream.x")
            let rejected = await run(["reload"], socket: running.socketPath)
            #expect(rejected.exitCode == 1)
            #expect(rejected.stderr == "holdfastctl: reload rejected, the old config keeps running: bad key upstream.x\n")
        }
    }

    @Test("without a daemon every command prints one line naming the socket and exits 2", arguments: [
        ["status"], ["stats"], ["upstreams"], ["health"], ["cache", "show", "example.com."], ["cache", "flush"],
        ["metrics"], ["reload"], ["--json", "stats"], ["probe", "live"], ["probe", "ready"],
    ])
    func noDaemon(arguments: [String]) async throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/control.sock"
        let outcome = await run(arguments, socket: socket)
        #expect(outcome.exitCode == 2)
        #expect(outcome.stdout == "")
        #expect(outcome.stderr == "holdfastctl: cannot connect to holdfastd control socket \(socket): No such file or directory (is holdfastd running?)\n")
    }

    @Test("--socket works before or after the command")
    func socketOptionPlacement() async throws {
        try await withServer { running in
            for arguments in [["health", "--socket", running.socketPath], ["--socket", running.socketPath, "health"]] {
                let outcome = try await offPool { Holdfastctl.execute(arguments: arguments) }
                #expect(outcome.exitCode == 0, "\(arguments)")
            }
        }
    }
}
