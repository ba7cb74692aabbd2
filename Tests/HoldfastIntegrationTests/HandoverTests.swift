// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// Issue 23: two `holdfastd` on one address (SO_REUSEPORT), the handover that makes a rolling
/// update lossless, and the probes a container runtime asks (`/readyz`, `/livez`), on loopback.
@Suite("Two instances on one address", .serialized)
struct HandoverTests {
    /// `holdfastctl probe KIND` against `daemon`: its exit status and output.
    static func probe(_ kind: String, _ daemon: DaemonProcess) async throws -> (status: Int32, output: String) {
        let run = try await ChildProcess.run(
            try Executables.holdfast("holdfastctl"), ["--socket", daemon.controlSocketPath, "probe", kind], timeout: .seconds(10))
        return (run.status, (run.stdout + run.stderr).joined(separator: "\n"))
    }

    /// Answers `daemon` has sent (its `/stats` total), 0 when its socket no longer answers.
    static func answered(_ daemon: DaemonProcess) async -> Int {
        struct Totals: Decodable { var total_queries: Int }
        return (try? await ResilienceControl.get("/stats", socket: daemon.controlSocketPath, as: Totals.self).total_queries) ?? 0
    }

    /// Polls until `condition` holds, every 20 ms, at most `timeout`.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestSupportError.timedOut(what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("A second holdfastd starts on the addresses of a running one; stopping the first under load loses no query and answers none SERVFAIL")
    func handoverUnderLoad() async throws {
        var zone = Zone.standard()
        let names = (0..<200).map { "h\($0).example.test" }
        for (index, name) in names.enumerated() { zone.add(name + ".", "A", "192.0.2.\(index % 250 + 1)") }
        let nsd = try await NSDFixture.start(zones: [zone])
        var config = DaemonConfig(upstreams: [nsd.address])
        config.threads = 2
        // Both instances also share metrics_listen, as the DaemonSet's surge pod does: the
        // second must start beside the first there too (SO_REUSEPORT), not fail on EADDRINUSE.
        config.metricsListen = "127.0.0.1:\(try FreePort.closed())"
        let first = try await DaemonProcess.start(config)
        let second = try await DaemonProcess.start(config, port: first.port)
        #expect(second.port == first.port, "both instances listen on one address")
        #expect(try await Self.probe("ready", first).status == 0)
        #expect(try await Self.probe("ready", second).status == 0)

        // 2,000 queries a second for 6 s (names the upstream answers, cached or not).
        let load = Task {
            try await DNSPerf.run(host: "127.0.0.1", port: first.port, names: names.map { "\($0) A" }, qps: 2000, seconds: 6,
                                  directory: second.directory)
        }
        // The kernel spreads the load over both; once each has answered some, stop the first.
        try await Self.waitUntil("both instances answer") {
            let (one, two) = (await Self.answered(first), await Self.answered(second))
            return one >= 200 && two >= 200
        }
        first.signal(SIGTERM)
        #expect(try await first.waitForExit(timeout: .seconds(15)) == 0)
        let before = await Self.answered(second)
        let result = try await load.value
        #expect(result.lost == 0, "\(result)")
        #expect(result.rcodes["SERVFAIL", default: 0] == 0, "\(result)")
        #expect(result.rcodes["NOERROR", default: 0] == result.sent, "\(result)")
        #expect(result.sent >= 8000, "the load ran: \(result)")
        #expect(await Self.answered(second) > before, "the second instance answered after the first stopped")
        await second.stop()
    }

    @Test("From SIGTERM on, /readyz is 503 (probe ready exits 1) while the daemon drains; /livez stays 200")
    func readyzDuringDrain() async throws {
        let silent = try await FakeUpstream.start(behaviour: .blackhole)
        var config = DaemonConfig(upstreams: [.v4(UInt16(silent.port))])
        config.timeoutMs = 6000
        let daemon = try await DaemonProcess.start(config)
        let ready = try await Self.probe("ready", daemon)
        #expect(ready.status == 0 && ready.output == "ready", "\(ready.output)")
        let live = try await Self.probe("live", daemon)
        #expect(live.status == 0 && live.output == "live", "\(live.output)")

        // A question the upstream never answers keeps a fetch in flight: the drain waits for it.
        let pending = Task { try? await DNSClient.query("held.example.", .a, to: daemon.address, timeout: .seconds(5)) }
        #expect(await silent.waitForQueries(1), "the question reached the upstream")
        daemon.signal(SIGTERM)
        try await daemon.waitForLog(containing: "stopping")
        let draining = try await Self.probe("ready", daemon)
        #expect(draining.status == 1, "\(draining.output)")
        #expect(draining.output.contains("draining"), "\(draining.output)")
        #expect(try await Self.probe("live", daemon).status == 0, "draining is not dead")
        #expect(try await daemon.waitForExit(timeout: .seconds(15)) == 0)
        _ = await pending.value
    }
}
