// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport

/// One observability test's world: FakeUpstreams as providers "p1", "p2", ... (each answering
/// every A question with 192.0.2.7, other types NXDOMAIN) and a running holdfastd forwarding to
/// them, reached through its real control socket and, when configured, its metrics_listen port.
struct ObservedStack {
    let upstreams: [FakeUpstream]
    let daemon: DaemonProcess
    /// The TCP metrics port the daemon reported (with `metricsListen`).
    var metricsPort: UInt16? { daemon.metricsPort }

    static let answerAddress: [UInt8] = [192, 0, 2, 7]

    /// Starts `providers` fake upstreams and the daemon (prefetch off). With `failFast`, one
    /// failure marks a server down and a down server is probed every second; otherwise the
    /// daemon's default threshold (3) keeps a single slow reply on a loaded machine (an RTO of
    /// 50 ms once measured) from marking a healthy fake down.
    static func start(
        providers: Int = 2, failFast: Bool = false, metricsListen: Bool = false,
        configure: (inout DaemonConfig) throws -> Void = { _ in }
    ) async throws -> ObservedStack {
        var upstreams: [FakeUpstream] = []
        for _ in 0..<providers {
            let upstream = try await FakeUpstream.start()
            upstream.setDefaultIPv4(answerAddress)
            upstreams.append(upstream)
        }
        var config = DaemonConfig(upstreams: upstreams.map { LoopbackAddress.v4(UInt16($0.port)) })
        config.timeoutMs = 800
        config.probeIntervalS = 1
        if failFast { config.failureThreshold = 1 }
        config.prefetch = false
        if metricsListen { config.metricsListen = "127.0.0.1:0" }
        try configure(&config)
        do {
            let daemon = try await DaemonProcess.start(config)
            return ObservedStack(upstreams: upstreams, daemon: daemon)
        } catch {
            for upstream in upstreams { await upstream.shutdown() }
            throw error
        }
    }

    func stop() async {
        await daemon.stop()
        for upstream in upstreams { await upstream.shutdown() }
    }

    var socket: ObservabilityHTTP.Endpoint { .unix(daemon.controlSocketPath) }

    /// `server` label of upstream `index` ("127.0.0.1:PORT").
    func serverLabel(_ index: Int) -> String { upstreams[index].address }

    /// Switches upstream `index` back to `.normal` (reopening its port if it was `.closed`).
    /// Reopening the same port now and then meets a transient EADDRINUSE on this loaded machine
    /// (nothing holds the port a moment later, per `ss`): retried, bounded, before failing.
    func restore(_ index: Int) async throws {
        var lastError: (any Error)?
        for _ in 0..<20 {
            do {
                try await upstreams[index].setBehaviour(.normal)
                return
            } catch {
                lastError = error
                // The fake now believes it is .normal without sockets: back to .closed (holding
                // the port again) so the next .normal reopens it.
                try? await upstreams[index].setBehaviour(.closed)
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let port = upstreams[index].port
        let ss = try? await ChildProcess.run("/usr/bin/ss", ["-tuanpe"], timeout: .seconds(5))
        let holders = (ss?.stdout ?? []).filter { $0.contains(":\(port) ") }
        throw ObservabilityError("cannot reopen upstream \(index) on port \(port): \(lastError.map { "\($0)" } ?? "?"); held by:\n"
            + holders.joined(separator: "\n"))
    }

    /// Waits (bounded) until `/upstreams` satisfies `condition`: the upstream layer publishes
    /// its status board just after it hands an answer over, so a read right after a query may
    /// be a moment behind.
    @discardableResult
    func upstreamsWhen(_ condition: @escaping @Sendable (JSONValue) -> Bool) async throws -> JSONValue {
        _ = await eventually(timeout: .seconds(5)) { (try? await json("/upstreams")).map(condition) ?? false }
        return try await json("/upstreams")
    }

    // MARK: Control API

    func get(_ target: String) async throws -> ObservabilityHTTP.Reply {
        try await ObservabilityHTTP.get(target, socket)
    }

    func post(_ target: String) async throws -> ObservabilityHTTP.Reply {
        try await ObservabilityHTTP.post(target, socket)
    }

    /// GET `target`, expecting `status` and a JSON body.
    func json(_ target: String, status: Int = 200) async throws -> JSONValue {
        let reply = try await get(target)
        guard reply.status == status, let json = reply.json else {
            throw ObservabilityError("GET \(target): expected \(status) with JSON, got \(reply)")
        }
        return json
    }

    /// `/metrics`, parsed strictly.
    func metrics() async throws -> PrometheusText {
        let reply = try await get("/metrics")
        guard reply.status == 200 else { throw ObservabilityError("GET /metrics: \(reply)") }
        return try PrometheusText(parsing: reply.body)
    }

    /// The health state name from `/health`.
    func healthStatus() async throws -> String {
        let reply = try await get("/health")
        return reply.json?["status"].string ?? "unparseable: \(reply)"
    }

    // MARK: DNS

    /// One question to the daemon over UDP (or TCP), returning the answer.
    @discardableResult
    func ask(_ name: String, _ type: DNSType = .a, over transport: DNSClient.Transport = .udp) async throws -> DNSMessage {
        try await DNSClient.query(name, type, to: daemon.address, over: transport, timeout: .seconds(5))
    }

    // MARK: holdfastctl

    /// Runs `holdfastctl --socket <this daemon's socket> arguments...`.
    func ctl(_ arguments: [String]) async throws -> CtlRun {
        try await CtlRun.run(["--socket", daemon.controlSocketPath] + arguments)
    }
}

/// One finished `holdfastctl` run.
struct CtlRun: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: [String]

    static func run(_ arguments: [String]) async throws -> CtlRun {
        let result = try await ChildProcess.run(try Executables.holdfast("holdfastctl"), arguments, timeout: .seconds(20))
        return CtlRun(status: result.status, stdout: result.stdout.joined(separator: "\n"), stderr: result.stderr)
    }

    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// The output as JSON (nil if it does not parse).
    var json: JSONValue? { try? JSONValue(parsing: stdout) }

    /// The text after `label` on the line starting with it (a "label   value" row), trimmed.
    func value(of label: String) -> String? {
        lines.first { $0.hasPrefix(label + " ") }.map { String($0.dropFirst(label.count)).trimmingCharacters(in: .whitespaces) }
    }

    var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr.joined(separator: "\n"))" }
}
