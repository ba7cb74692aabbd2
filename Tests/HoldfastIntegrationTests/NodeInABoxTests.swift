// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc
import HoldfastTestSupport
import Synchronization
import Testing

/// Issue 23: a Kubernetes node in a box. A private network namespace is the node; an interface
/// in it carries the node-local address 169.254.20.10 (a dummy interface, or a veth pair where
/// the kernel has no dummy driver); holdfastd listens there as a node-local DNS cache; the
/// "cluster DNS" is an nsd that only TCP reaches (UDP to it is dropped), routed `cluster.local`
/// over `transport = "tcp"`; the node's upstream is another nsd. Clients (dig, dnsperf) run in
/// the namespace. Root only: as root, a namespace that cannot be made fails the test.
@Suite("A node in a box: holdfastd as a node-local DNS cache", .serialized,
       .enabled(if: getuid() == 0, "needs root for a private network namespace"))
struct NodeInABoxTests {
    static let nodeAddress = "169.254.20.10"
    /// The cluster DNS service and the node's upstream, on the namespace's own loopback.
    static let clusterDNS = "127.0.10.10"
    static let upstreamDNS = "127.0.20.53"
    static let clusterNames = (0..<50).map { "svc-\($0).default.svc.cluster.local" }
    static let upstreamNames = (0..<50).map { "h\($0).example.test" }

    /// One dig in the node: its output lines (`+short` unless `full`).
    static func dig(_ node: NetworkNamespace, _ server: String, _ name: String, tcp: Bool = false, full: Bool = false) async throws
        -> (status: Int32, lines: [String])
    {
        var arguments = ["dig", "@\(server)", "-p", "53", name, "A", "+tries=1", "+time=2"]
        arguments.append(tcp ? "+tcp" : "+notcp")
        if !full { arguments.append("+short") }
        let run = try await node.run(arguments)
        return (run.status, run.stdout)
    }

    /// Polls (every 100 ms, at most `timeout`) until `condition` holds.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestSupportError.timedOut(what) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// nsd with `zone` on `host`:53 inside the node; returns once it answers over TCP.
    static func startNSD(_ node: NetworkNamespace, host: String, zone: Zone, probe: String) async throws
        -> (process: ChildProcess, directory: TemporaryDirectory, config: String)
    {
        let directory = try TemporaryDirectory(prefix: "holdfast-node-nsd")
        let config = try directory.write("nsd.conf", try NSDFixture.configText(port: 53, directory: directory, zones: [zone], host: host))
        let process = try node.spawn(["nsd", "-d", "-c", config], output: .file(directory.file("nsd.out")))
        try await waitUntil("nsd on \(host) answers") { try await dig(node, host, probe, tcp: true).lines.isEmpty == false }
        return (process, directory, config)
    }

    /// Polls `holdfastctl probe live` on the daemon it is pointed at (every 100 ms) and keeps
    /// every answer that was not "live".
    final class LivenessWatch: Sendable {
        private let socket: Mutex<String>
        private let failures = Mutex<[String]>([])
        private let checks = Atomic<Int>(0)
        /// The socket the latest finished check asked.
        private let lastChecked = Mutex<String>("")
        private let task = Mutex<Task<Void, Never>?>(nil)

        init(socket: String) throws {
            self.socket = Mutex(socket)
            let ctl = try Executables.holdfast("holdfastctl")
            task.withLock { $0 = Task { [self] in
                while !Task.isCancelled {
                    let path = self.socket.withLock { $0 }
                    if let run = try? await ChildProcess.run(ctl, ["--socket", path, "probe", "live"], timeout: .seconds(5)) {
                        checks.wrappingAdd(1, ordering: .relaxed)
                        lastChecked.withLock { $0 = path }
                        if run.status != 0 { failures.withLock { $0.append("\(path): \(run.status) \(run.stdout + run.stderr)") } }
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            } }
        }

        /// Watches `socket` from now on; returns once a check of it has finished (so no check
        /// of the old one is still running).
        func point(at socket: String) async throws {
            self.socket.withLock { $0 = socket }
            try await NodeInABoxTests.waitUntil("a liveness check of \(socket)") { lastChecked.withLock { $0 } == socket }
        }

        /// Stops polling; the failures seen and how many checks ran.
        func stop() -> (failures: [String], checks: Int) {
            task.withLock { $0?.cancel() }
            return (failures.withLock { $0 }, checks.load(ordering: .relaxed))
        }
    }

    @Test("Cluster names over TCP, a rolling update under load with 0 lost, an upstream outage answered stale, /livez 200 throughout while /health says failing")
    func nodeLocalCache() async throws {
        let node = try await NetworkNamespace.create(prefix: "node")
        do {
            try await scenario(node)
        } catch {
            await node.remove()
            throw error
        }
        await node.remove()
    }

    private func scenario(_ node: NetworkNamespace) async throws {
        // The node-local interface (dummy, as the DaemonSet's init container makes it; a veth
        // pair where the kernel lacks the dummy driver — the address is all that matters here).
        if try await node.run(["ip", "link", "add", "hf-node", "type", "dummy"]).status != 0 {
            try await node.mustRun(["ip", "link", "add", "hf-node", "type", "veth", "peer", "name", "hf-node-peer"])
            try await node.mustRun(["ip", "link", "set", "hf-node-peer", "up"])
        }
        try await node.mustRun(["ip", "addr", "add", "\(Self.nodeAddress)/32", "dev", "hf-node"])
        try await node.mustRun(["ip", "link", "set", "hf-node", "up"])
        // The cluster DNS answers only over TCP, as through a conntrack path that loses UDP.
        try await node.mustRun(["iptables", "-A", "INPUT", "-p", "udp", "-d", Self.clusterDNS, "--dport", "53", "-j", "DROP"])

        var cluster = Zone(origin: "cluster.local", defaultTTL: 2)
        for (index, name) in Self.clusterNames.enumerated() { cluster.add(name + ".", "A", "10.96.1.\(index + 1)") }
        var upstream = Zone(origin: "example.test", defaultTTL: 2)
        for (index, name) in Self.upstreamNames.enumerated() { upstream.add(name + ".", "A", "192.0.2.\(index + 1)") }
        let clusterNSD = try await Self.startNSD(node, host: Self.clusterDNS, zone: cluster, probe: Self.clusterNames[0])
        let upstreamNSD = try await Self.startNSD(node, host: Self.upstreamDNS, zone: upstream, probe: Self.upstreamNames[0])
        let udpToCluster = try await Self.dig(node, Self.clusterDNS, Self.clusterNames[0])
        #expect(udpToCluster.status != 0 && udpToCluster.lines.allSatisfy { !$0.hasPrefix("10.96.") }, "UDP to the cluster DNS is dropped")

        var config = DaemonConfig(providers: [
            .tcp("cluster", [try LoopbackAddress(host: Self.clusterDNS, port: 53)]),
            DaemonConfig.Provider("node", [try LoopbackAddress(host: Self.upstreamDNS, port: 53)]),
        ])
        config.routes = [.init(domains: ["cluster.local"], providers: ["cluster"])]
        config.extraListen = ["\(Self.nodeAddress):53"]
        config.allow = ["127.0.0.0/8", "169.254.0.0/16"]
        config.threads = 2
        config.failureThreshold = 1
        config.probeIntervalS = 1
        var launch = DaemonProcess.Launch()
        launch.prefix = node.command([])
        let first = try await Self.startDaemon(config, launch: launch)
        let liveness = try LivenessWatch(socket: first.controlSocketPath)

        // Cluster names come over TCP through the route; other names from the node's upstream.
        for (index, name) in Self.clusterNames.prefix(5).enumerated() {
            #expect(try await Self.dig(node, Self.nodeAddress, name).lines == ["10.96.1.\(index + 1)"], "\(name)")
        }
        #expect(try await Self.dig(node, Self.nodeAddress, Self.upstreamNames[1]).lines == ["192.0.2.2"])
        let routed = try await TLSUpstreamsView.fetch(first)
        #expect(try routed.server("cluster").transport == "tcp")
        #expect(try routed.server("cluster").connectionsOpen == 1)
        #expect(try routed.server("cluster").requests >= 5)
        #expect(try routed.server("node").transport == "dns")
        #expect(try await Self.nsdStatistic(clusterNSD.config, "num.udp") == 0, "nothing reached the cluster DNS over UDP")

        // A rolling update under load: a second instance beside the first on the same
        // addresses, then the first stopped; dnsperf in the node counts every answer.
        let names = Self.clusterNames.map { "\($0) A" } + Self.upstreamNames.map { "\($0) A" }
        let load = Task {
            try await DNSPerf.run(host: Self.nodeAddress, port: 53, names: names, qps: 500, seconds: 6,
                                  directory: first.directory, prefix: node.command([]))
        }
        try await HandoverTests.waitUntil("the first instance answers the load") { await HandoverTests.answered(first) >= 300 }
        let second = try await Self.startDaemon(config, launch: launch)
        try await HandoverTests.waitUntil("the second instance takes a share") { await HandoverTests.answered(second) >= 100 }
        try await liveness.point(at: second.controlSocketPath)
        first.signal(SIGTERM)
        #expect(try await first.waitForExit(timeout: .seconds(15)) == 0)
        let result = try await load.value
        #expect(result.lost == 0, "\(result)")
        #expect(result.rcodes["SERVFAIL", default: 0] == 0, "\(result)")
        #expect(result.rcodes["NOERROR", default: 0] == result.sent, "\(result)")
        #expect(result.sent >= 2000, "the load ran: \(result)")

        // Upstream outage: the node's upstream dies, then the cluster DNS too. Names whose
        // TTL ran out are answered stale (EDE 3) and health turns failing; the daemon is alive.
        upstreamNSD.process.signal(SIGKILL)
        try await Self.waitUntil("an upstream name answered stale") {
            let answer = try await Self.dig(node, Self.nodeAddress, Self.upstreamNames[3], full: true).lines
            return answer.contains { $0.contains("EDE: 3") } && answer.contains { $0.contains("192.0.2.4") }
        }
        #expect(try await Self.dig(node, Self.nodeAddress, Self.clusterNames[7]).lines == ["10.96.1.8"], "the cluster DNS still answers")
        clusterNSD.process.signal(SIGKILL)
        try await Self.waitUntil("a cluster name answered stale") {
            let answer = try await Self.dig(node, Self.nodeAddress, Self.clusterNames[9], full: true).lines
            return answer.contains { $0.contains("EDE: 3") } && answer.contains { $0.contains("10.96.1.10") }
        }
        let ctl = try Executables.holdfast("holdfastctl")
        try await Self.waitUntil("health says failing") {
            let health = try await ChildProcess.run(ctl, ["--socket", second.controlSocketPath, "health"])
            return health.status == 2 && health.stdout.first?.hasPrefix("failing") == true
        }
        let live = try await ChildProcess.run(ctl, ["--socket", second.controlSocketPath, "probe", "live"])
        #expect(live.status == 0 && live.stdout == ["live"], "\(live)")
        #expect(try await Self.dig(node, Self.nodeAddress, Self.upstreamNames[3]).lines == ["192.0.2.4"], "still served")

        let watched = liveness.stop()
        #expect(watched.failures.isEmpty, "\(watched.failures)")
        #expect(watched.checks >= 10, "liveness was checked throughout (\(watched.checks) checks)")
        #expect(await second.stop() == 0)
    }

    /// The daemon started in the node (its control socket and files in a temporary directory
    /// outside, reachable from here), ready.
    static func startDaemon(_ config: DaemonConfig, launch: DaemonProcess.Launch) async throws -> DaemonProcess {
        let directory = try TemporaryDirectory(prefix: "holdfast-node")
        let daemon = try DaemonProcess.launchProcess(
            configText: config.render(port: 53, directory: directory.path), directory: directory, port: 53, launch: launch)
        try await daemon.waitUntilReady()
        return daemon
    }

    /// One counter of nsd's `nsd-control stats_noreset` (its control socket is a file).
    static func nsdStatistic(_ config: String, _ name: String) async throws -> Int {
        let run = try await ChildProcess.run(try Executables.find("nsd-control"), ["-c", config, "stats_noreset"],
                                             environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        guard let line = run.stdout.first(where: { $0.hasPrefix(name + "=") }), let value = Int(line.dropFirst(name.count + 1)) else {
            throw TestSupportError.startFailed("nsd-control: no \(name) in \(run.stdout + run.stderr)")
        }
        return value
    }
}
