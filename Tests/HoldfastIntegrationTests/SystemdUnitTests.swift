// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import HoldfastTestSupport
import Testing

/// The shipped unit files: `systemd-analyze verify` accepts them, the hardening is there, and
/// `systemd-analyze security` rates the service as well confined.
@Suite("systemd unit files")
struct SystemdUnitTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func unitText(_ name: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent("systemd/\(name)"), encoding: .utf8)
    }

    /// Copies both units into a temp dir with ExecStart pointing at an existing binary
    /// (verify checks that the program exists; the daemon is not installed here).
    static func stagedUnits() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "holdfast-unit")
        let service = try unitText("holdfastd.service").replacingOccurrences(of: "/usr/local/bin/holdfastd", with: "/bin/true")
        try directory.write("holdfastd.service", service)
        try directory.write("holdfastd.socket", try unitText("holdfastd.socket"))
        return directory
    }

    /// `Key=value` assignments of a unit file, repeated keys kept in order.
    static func assignments(_ text: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("[") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
        return result
    }

    @Test func verifyAcceptsBothUnits() async throws {
        let staged = try Self.stagedUnits()
        let result = try await ChildProcess.run(
            try Executables.find("systemd-analyze"),
            ["verify", staged.file("holdfastd.service"), staged.file("holdfastd.socket")],
            environment: ["PATH": "/usr/bin:/bin", "SYSTEMD_LOG_LEVEL": "notice"])
        #expect(result.status == 0, "\(result.stdout + result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test("The service has the required settings", arguments: [
        ("Type", "notify"),
        ("ExecStart", "/usr/local/bin/holdfastd --config /etc/holdfast/holdfast.toml"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("Restart", "on-failure"),
        ("WatchdogSec", "30"),
        ("StateDirectory", "holdfast"),
        ("RuntimeDirectory", "holdfast"),
        ("DynamicUser", "yes"),
        ("AmbientCapabilities", "CAP_NET_BIND_SERVICE"),
        ("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK"),
        ("RestrictNamespaces", "yes"),
        ("RestrictRealtime", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallFilter", "@system-service"),
        ("SystemCallArchitectures", "native"),
        ("UMask", "0007"),
    ])
    func serviceHardening(key: String, value: String) throws {
        let settings = Self.assignments(try Self.unitText("holdfastd.service"))
        #expect(settings[key]?.contains(value) == true, "\(key)=\(value) missing; has \(settings[key] ?? [])")
    }

    @Test func serviceLimitsOpenFiles() throws {
        let settings = Self.assignments(try Self.unitText("holdfastd.service"))
        let limit = settings["LimitNOFILE"]?.first.flatMap { Int($0) } ?? 0
        #expect(limit >= 4096)
    }

    @Test func securityExposureIsLow() async throws {
        let staged = try Self.stagedUnits()
        // --threshold is on a 0–100 scale: 25 means an exposure of at most 2.5 ("OK").
        let result = try await ChildProcess.run(
            try Executables.find("systemd-analyze"),
            ["security", "--offline=yes", "--threshold=25", "--no-pager", staged.file("holdfastd.service")],
            environment: ["PATH": "/usr/bin:/bin", "SYSTEMD_COLORS": "0"])
        #expect(result.status == 0, "\(result.stdout.suffix(3))")
    }

    @Test func socketUnitListensOnLoopbackUDPAndTCP() throws {
        let settings = Self.assignments(try Self.unitText("holdfastd.socket"))
        #expect(Set(settings["ListenDatagram"] ?? []) == ["127.0.0.1:53", "[::1]:53"])
        #expect(Set(settings["ListenStream"] ?? []) == ["127.0.0.1:53", "[::1]:53"])
        #expect(settings["Service"] == ["holdfastd.service"])
    }
}
