// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc

/// A named private network namespace (`ip netns add`), for tests that need addresses other
/// than loopback (a node-local 169.254.20.10, a "cluster" address): nothing in it is reachable
/// from the host or reaches out. Root only. Processes run in it through `command(_:)`
/// (`ip netns exec NAME ...`, which execs in place, so signals reach the program).
/// `remove()` deletes it; the deinit does too, as a last resort.
public final class NetworkNamespace: Sendable {
    public let name: String
    private let ip: String

    private init(name: String, ip: String) {
        self.name = name
        self.ip = ip
    }

    /// Creates `holdfast-PREFIX-PID-RANDOM` with `lo` up. Throws (never skips) when it cannot.
    public static func create(prefix: String) async throws -> NetworkNamespace {
        let ip = try Executables.find("ip")
        let name = "holdfast-\(prefix)-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        let added = try await ChildProcess.run(ip, ["netns", "add", name], environment: Self.environment)
        guard added.status == 0 else {
            throw TestSupportError.startFailed("ip netns add \(name): \((added.stdout + added.stderr).joined(separator: " "))")
        }
        let namespace = NetworkNamespace(name: name, ip: ip)
        try await namespace.mustRun(["ip", "link", "set", "lo", "up"])
        return namespace
    }

    public static let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]

    /// `arguments` (a program and its arguments) run inside the namespace.
    public func command(_ arguments: [String]) -> [String] {
        [ip, "netns", "exec", name] + arguments
    }

    /// Runs `arguments` inside the namespace to completion.
    public func run(_ arguments: [String], timeout: Duration = .seconds(20)) async throws
        -> (status: Int32, stdout: [String], stderr: [String])
    {
        let full = command(arguments)
        return try await ChildProcess.run(full[0], Array(full.dropFirst()), environment: Self.environment, timeout: timeout)
    }

    /// Runs `arguments` inside the namespace and throws unless it exits 0.
    @discardableResult
    public func mustRun(_ arguments: [String], timeout: Duration = .seconds(20)) async throws -> [String] {
        let result = try await run(arguments, timeout: timeout)
        guard result.status == 0 else {
            throw TestSupportError.startFailed(
                "in namespace \(name): \(arguments.joined(separator: " ")) exited \(result.status): \((result.stdout + result.stderr).joined(separator: " "))")
        }
        return result.stdout
    }

    /// Starts `arguments` inside the namespace as its own process group (stop it with
    /// `signal`/`terminate`, which reach forked children too).
    public func spawn(_ arguments: [String], output: ChildProcess.Output = .discard,
                      environment: [String: String] = NetworkNamespace.environment) throws -> ChildProcess {
        let full = command(arguments)
        return try ChildProcess(
            executable: full[0], arguments: Array(full.dropFirst()), environment: environment,
            stdout: output, stderr: output, newProcessGroup: true)
    }

    /// Deletes the namespace (its interfaces go with it).
    public func remove() async {
        _ = try? await ChildProcess.run(ip, ["netns", "del", name], environment: Self.environment)
    }

    deinit {
        // A test that threw before `remove()`: delete it synchronously (a namespace is named
        // in /run/netns and would outlive the test process).
        var pid: pid_t = 0
        let words: [String] = [ip, "netns", "del", name]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in word.withCString { strdup($0) } } + [nil]
        defer { for pointer in argv { free(pointer) } }
        if posix_spawn(&pid, ip, nil, nil, argv, environ) == 0 {
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }
}
