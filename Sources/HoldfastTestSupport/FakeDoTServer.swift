// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation

/// `scripts/fake-dot-server.py`: a DNS-over-TLS (or plain DNS-over-TCP) server that fails in the ways real servers do
/// not on demand (out of order, silent after the handshake, a handshake that never finishes,
/// closing with queries in flight). Every event is a line in `events`:
/// `connection N`, `handshake N ok`, `handshake N failed ...`, `query N NAME`, `closing N`.
public final class FakeDoTServer: Sendable {
    public enum Mode: Sendable {
        case answer
        /// Hold queries until this many wait on a connection, then answer newest first.
        case reverse(Int)
        case silent
        case stall
        /// Answer this many queries per connection, then close it as the next arrives.
        case closeAfter(Int)

        var argument: String {
            switch self {
            case .answer: "answer"
            case .reverse(let count): "reverse:\(count)"
            case .silent: "silent"
            case .stall: "stall"
            case .closeAfter(let count): "close-after:\(count)"
            }
        }
    }

    public let address: LoopbackAddress
    public let events: EventLog<String>
    private let process: ChildProcess

    private init(address: LoopbackAddress, events: EventLog<String>, process: ChildProcess) {
        self.address = address
        self.events = events
        self.process = process
    }

    /// Starts the server with `identity` on `host` (`port`, 0 = a free one) and waits until it
    /// listens.
    public static func start(
        identity: TestCertificates.Identity, mode: Mode = .answer, host: String = "127.0.0.1", port: UInt16 = 0,
        keepalive: Int? = nil
    ) async throws -> FakeDoTServer {
        try await launch(["--cert", identity.certificate, "--key", identity.key], mode: mode, host: host, port: port, keepalive: keepalive)
    }

    /// The same server speaking plain DNS over TCP (RFC 7766, no TLS): for `transport = "tcp"`.
    public static func startPlain(
        mode: Mode = .answer, host: String = "127.0.0.1", port: UInt16 = 0, keepalive: Int? = nil
    ) async throws -> FakeDoTServer {
        try await launch(["--plain"], mode: mode, host: host, port: port, keepalive: keepalive)
    }

    private static func launch(
        _ security: [String], mode: Mode, host: String, port: UInt16, keepalive: Int?
    ) async throws -> FakeDoTServer {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/fake-dot-server.py").path
        let events = EventLog<String>(label: "fake DoT server")
        var arguments = [script] + security + ["--host", host, "--port", "\(port)", "--mode", mode.argument]
        if let keepalive { arguments += ["--keepalive", "\(keepalive)"] }
        let process = try ChildProcess(
            executable: try Executables.find("python3"), arguments: arguments,
            environment: ["PATH": "/usr/bin:/bin"], stdout: .lines(events), stderr: .lines(events))
        let line = try await events.waitForLine(containing: "listening", timeout: .seconds(10))
        guard let port = line.split(separator: " ").last.flatMap({ UInt16($0) }) else {
            throw TestSupportError.startFailed("fake DoT server: \(line)")
        }
        return FakeDoTServer(address: try LoopbackAddress(host: host, port: port), events: events, process: process)
    }

    /// Lines that start with `prefix` ("query", "handshake 2 ok", ...).
    public func lines(startingWith prefix: String) -> [String] { events.all.filter { $0.hasPrefix(prefix) } }

    public func stop() async { _ = await process.terminate(grace: .milliseconds(200)) }
}
