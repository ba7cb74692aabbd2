// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import Synchronization

/// A running `holdfastd` built by SwiftPM, started the way systemd would start it: a config
/// file in its own temp directory, a `NOTIFY_SOCKET` the test owns, optionally `WATCHDOG_USEC`
/// and inherited listening sockets (`LISTEN_FDS`). Captures stderr line by line (awaitable)
/// and every sd_notify message. The process is killed when this object goes away.
///
/// Ports come from the daemon itself: the config asks for port 0 (unless a port is given) and
/// the daemon's "holdfastd ready" line says what it bound, so no port is picked, given up and
/// hoped to be free still.
public final class DaemonProcess: Sendable {
    /// Where the daemon listens, as its ready line reports it.
    public struct Ports: Sendable, Equatable {
        /// 127.0.0.1's port (UDP and TCP).
        public var v4: UInt16
        /// [::1]'s port, when it listens there.
        public var v6: UInt16?
        /// The TCP `metrics_listen` port, when configured.
        public var metrics: UInt16?

        public init(v4: UInt16, v6: UInt16? = nil, metrics: UInt16? = nil) {
            self.v4 = v4
            self.v6 = v6
            self.metrics = metrics
        }

        /// The ports in a "holdfastd ready" log line (listen=["udp 127.0.0.1:P", ...]
        /// metrics_listen=127.0.0.1:M); nil when it names no 127.0.0.1 listener.
        public init?(readyLine line: String) {
            var v4: UInt16?
            var v6: UInt16?
            func port(_ text: Substring) -> UInt16? { UInt16(text.prefix(while: \.isNumber)) }
            for word in line.split(whereSeparator: { $0 == " " || $0 == "\"" || $0 == "," || $0 == "=" }) {
                if word.hasPrefix("127.0.0.1:"), v4 == nil { v4 = port(word.dropFirst("127.0.0.1:".count)) }
                if word.hasPrefix("[::1]:"), v6 == nil { v6 = port(word.dropFirst("[::1]:".count)) }
            }
            guard let v4 else { return nil }
            self.init(v4: v4, v6: v6)
            if let range = line.range(of: "metrics_listen=") {
                let value = line[range.upperBound...].prefix { $0 != " " }
                if let colon = value.lastIndex(of: ":") { metrics = port(value[value.index(after: colon)...]) }
            }
        }
    }

    /// Extra launch settings.
    public struct Launch: Sendable {
        /// Arguments after `--config PATH`.
        public var arguments: [String] = []
        /// Added to (and overriding) the test process's environment.
        public var environment: [String: String] = [:]
        /// Sets `WATCHDOG_USEC`.
        public var watchdogUSec: UInt64?
        /// Handed over as fds 3... with `LISTEN_FDS`/`LISTEN_PID`(/`LISTEN_FDNAMES`).
        public var listenFDs: [Int32] = []
        public var listenFDNames: [String]?
        /// Another program to run instead of the built holdfastd (fixture self-tests).
        public var executable: String?
        /// A command the daemon runs under, e.g. `["/usr/sbin/ip", "netns", "exec", NAME]`
        /// (it must exec the daemon in place, so signals reach it).
        public var prefix: [String] = []
        public init() {}
    }

    public let directory: TemporaryDirectory
    /// The listen port asked for in the config (0: any).
    public let requestedPort: UInt16
    private let learned: Mutex<Ports?>
    public let configPath: String
    public let notify: NotifySocket
    /// Every stderr line (the daemon's log), closed at exit.
    public let stderr: EventLog<String>
    public let process: ChildProcess

    /// Where the daemon listens: known once it is ready (`waitUntilReady` or
    /// `waitForReadyLine`); before that, the requested port.
    public var ports: Ports { learned.withLock { $0 } ?? Ports(v4: requestedPort, v6: requestedPort) }
    /// 127.0.0.1's listen port.
    public var port: UInt16 { ports.v4 }
    /// The TCP metrics port (when `metricsListen` is set).
    public var metricsPort: UInt16? { ports.metrics }

    /// 127.0.0.1 at the listen port.
    public var address: LoopbackAddress { .v4(port) }
    /// [::1] at its listen port (when `listenIPv6`).
    public var addressV6: LoopbackAddress { .v6(ports.v6 ?? port) }
    public var controlSocketPath: String { directory.file("control.sock") }
    public var cachePath: String { directory.file("cache.bin") }

    private init(directory: TemporaryDirectory, port: UInt16, configPath: String, notify: NotifySocket,
                 stderr: EventLog<String>, process: ChildProcess) {
        self.directory = directory
        self.requestedPort = port
        self.learned = Mutex(nil)
        self.configPath = configPath
        self.notify = notify
        self.stderr = stderr
        self.process = process
    }

    /// Starts the daemon with `config` on port 0 (any free port; `port` learns which) and waits
    /// (bounded) for READY=1. Its TCP listener takes the port its UDP socket got, which may be
    /// taken for TCP: then it exits and is started again. Pass `directory`/`port` to restart on
    /// the state (and port) of an earlier daemon.
    public static func start(
        _ config: DaemonConfig, launch: Launch = Launch(), directory: TemporaryDirectory? = nil,
        port: UInt16? = nil, readyTimeout: Duration = .seconds(20)
    ) async throws -> DaemonProcess {
        var lastError: any Error = TestSupportError.startFailed("holdfastd")
        for _ in 0..<(port == nil ? 3 : 1) {
            let directory = try directory ?? TemporaryDirectory(prefix: "holdfast-d")
            let port = port ?? 0
            let daemon = try launchProcess(
                configText: config.render(port: port, directory: directory.path), directory: directory,
                port: port, launch: launch)
            do {
                try await daemon.waitUntilReady(timeout: readyTimeout)
                return daemon
            } catch {
                lastError = error
                let inUse = daemon.stderr.all.contains { $0.lowercased().contains("address already in use") }
                await daemon.stop(grace: .seconds(2))
                if !inUse { break }
            }
        }
        throw lastError
    }

    /// Spawns the daemon with a literal config text without waiting for anything; `port` is
    /// the one the text asks for (0: learnt when ready).
    public static func launchProcess(
        configText: String, directory: TemporaryDirectory, port: UInt16 = 0, launch: Launch = Launch()
    ) throws -> DaemonProcess {
        let configPath = try directory.write("holdfast.toml", configText)
        let notifyPath = directory.file("notify-\(UInt32.random(in: 0...UInt32.max)).sock")
        let notify = try NotifySocket(path: notifyPath)
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("LISTEN_") && !key.hasPrefix("WATCHDOG_") && key != "NOTIFY_SOCKET"
        }
        environment["NOTIFY_SOCKET"] = notifyPath
        if let usec = launch.watchdogUSec { environment["WATCHDOG_USEC"] = String(usec) }
        var executable = try launch.executable ?? Executables.holdfast("holdfastd")
        var arguments = ["--config", configPath] + launch.arguments
        if !launch.listenFDs.isEmpty {
            environment["LISTEN_FDS"] = String(launch.listenFDs.count)
            if let names = launch.listenFDNames { environment["LISTEN_FDNAMES"] = names.joined(separator: ":") }
            // LISTEN_PID must be the daemon's own pid: a shell learns it and execs in place.
            arguments = ["-c", "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\"", executable] + arguments
            executable = "/bin/sh"
        }
        if let first = launch.prefix.first {
            arguments = Array(launch.prefix.dropFirst()) + [executable] + arguments
            executable = first
        }
        let stderr = EventLog<String>(label: "holdfastd stderr")
        let process = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment,
            stdout: .lines(stderr), stderr: .lines(stderr), inheritedFDs: launch.listenFDs)
        return DaemonProcess(
            directory: directory, port: port, configPath: configPath, notify: notify, stderr: stderr, process: process)
    }

    /// Waits for READY=1, then for the ready line (the ports); fails early (with the daemon's
    /// output) if it exits first.
    @discardableResult
    public func waitUntilReady(timeout: Duration = .seconds(20)) async throws -> NotifyMessage {
        let message = try await waitForNotifyReady(timeout: timeout)
        try await waitForReadyLine(timeout: .seconds(5))
        return message
    }

    /// Waits for the "holdfastd ready" log line and learns the ports from it (for a daemon
    /// that cannot send READY=1, e.g. after dropping root).
    @discardableResult
    public func waitForReadyLine(timeout: Duration = .seconds(10)) async throws -> Ports {
        let line = try await waitForLog(containing: "holdfastd ready", timeout: timeout)
        guard let ports = Ports(readyLine: line) else {
            throw TestSupportError.startFailed("holdfastd's ready line names no 127.0.0.1 port: \(line)")
        }
        learned.withLock { $0 = ports }
        return ports
    }

    private func waitForNotifyReady(timeout: Duration) async throws -> NotifyMessage {
        try await withThrowingTaskGroup(of: NotifyMessage?.self) { group in
            group.addTask { try await self.notify.messages.waitFor(timeout: timeout, "READY=1") { $0.isReady } }
            group.addTask {
                let code = try? await self.process.waitForExit(timeout: timeout + .seconds(1))
                try? await self.stderr.waitForClose(timeout: .seconds(2))
                let output = self.stderr.all.suffix(20).joined(separator: "\n")
                throw TestSupportError.startFailed(
                    "holdfastd exited (status \(code.map(String.init) ?? "?")) before READY=1:\n\(output)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let message = first else {
                throw TestSupportError.startFailed("holdfastd: no READY=1")
            }
            return message
        }
    }

    /// The first log line at or after index `from` containing `text`.
    @discardableResult
    public func waitForLog(containing text: String, from: Int = 0, timeout: Duration = .seconds(10)) async throws -> String {
        try await stderr.waitForLine(containing: text, from: from, timeout: timeout)
    }

    /// Replaces the config file (same ports and directory) — follow with `signal(SIGHUP)`.
    public func rewriteConfig(_ config: DaemonConfig) throws {
        try directory.write("holdfast.toml", render(config))
    }

    /// `config` as this daemon's file: its directory, the ports it listens on.
    public func render(_ config: DaemonConfig) -> String {
        config.render(port: port, v6Port: ports.v6, directory: directory.path)
    }

    /// Replaces the config file with literal text.
    public func rewriteConfig(text: String) throws {
        try directory.write("holdfast.toml", text)
    }

    public func signal(_ signal: Int32) { process.signal(signal) }

    /// The exit code once the daemon exits.
    public func waitForExit(timeout: Duration = .seconds(15)) async throws -> Int32 {
        try await process.waitForExit(timeout: timeout)
    }

    /// SIGTERM, then SIGKILL after `grace`; returns the exit code.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Int32 {
        let code = await process.terminate(grace: grace)
        notify.close()
        return code
    }

    /// Runs `holdfastd` with `arguments` to completion (e.g. `--check-config`, `--version`).
    public static func run(_ arguments: [String], timeout: Duration = .seconds(20)) async throws
        -> (status: Int32, stdout: [String], stderr: [String])
    {
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = nil
        return try await ChildProcess.run(
            try Executables.holdfast("holdfastd"), arguments, environment: environment, timeout: timeout)
    }
}
