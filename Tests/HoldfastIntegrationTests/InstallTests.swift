// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// `make install` / `make uninstall` into a DESTDIR, with the already-built binaries
/// (`BIN_DIR`, so no release build): the layout, PREFIX in the unit, a config the operator
/// edited survives a second install, and uninstall removes what install put there but the config.
@Suite("make install", .enabled(if: Executables.isInstalled("make"), "needs make"))
struct InstallTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Runs `make TARGET DESTDIR=... PREFIX=... BIN_DIR=<built binaries>` in the repository.
    static func make(_ target: String, destination: TemporaryDirectory, prefix: String) async throws
        -> (status: Int32, output: [String])
    {
        let run = try await ChildProcess.run(
            try Executables.find("make"),
            ["-C", repository, "--no-print-directory", target, "DESTDIR=\(destination.path)", "PREFIX=\(prefix)",
             "BIN_DIR=\(try Executables.holdfastBinDirectory())"],
            environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"], timeout: .seconds(60))
        return (run.status, run.stdout + run.stderr)
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test("install lays out binaries, config, units and help; uninstall removes them", arguments: ["/usr/local", "/usr"])
    func installAndUninstall(prefix: String) async throws {
        let root = try TemporaryDirectory(prefix: "holdfast-inst")
        let installed = try await Self.make("install", destination: root, prefix: prefix)
        #expect(installed.status == 0, "\(installed.output)")

        let bin = root.path + prefix + "/bin"
        let config = root.file("etc/holdfast/holdfast.toml")
        let units = root.file("lib/systemd/system")
        let docs = root.path + prefix + "/share/doc/holdfast"
        for program in ["holdfastd", "holdfastctl"] {
            #expect(Self.mode(bin + "/" + program) == 0o755, "\(program)")
        }
        #expect(Self.read(config) == Self.read(Self.repository + "/config/holdfast.toml"))
        #expect(Self.mode(config) == 0o644)
        let service = try #require(Self.read(units + "/holdfastd.service"))
        #expect(service.contains("\nExecStart=\(prefix)/bin/holdfastd --config /etc/holdfast/holdfast.toml\n"), "\(service)")
        #expect(Self.read(units + "/holdfastd.socket") == Self.read(Self.repository + "/systemd/holdfastd.socket"))
        #expect(Self.read(docs + "/holdfastd.txt")?.contains("USAGE: holdfastd") == true)
        #expect(Self.read(docs + "/holdfastctl.txt")?.contains("USAGE: holdfastctl") == true)

        // The installed daemon accepts the installed config.
        let check = try await ChildProcess.run(bin + "/holdfastd", ["--config", config, "--check-config"], environment: [:])
        #expect(check.status == 0, "\(check.stdout + check.stderr)")

        let removed = try await Self.make("uninstall", destination: root, prefix: prefix)
        #expect(removed.status == 0, "\(removed.output)")
        for path in [bin + "/holdfastd", bin + "/holdfastctl", units + "/holdfastd.service", units + "/holdfastd.socket", docs] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) left behind")
        }
        #expect(FileManager.default.fileExists(atPath: config), "uninstall must keep the config")
    }

    @Test func reinstallKeepsAnEditedConfig() async throws {
        let root = try TemporaryDirectory(prefix: "holdfast-inst")
        let first = try await Self.make("install", destination: root, prefix: "/usr/local")
        #expect(first.status == 0, "\(first.output)")
        let config = root.file("etc/holdfast/holdfast.toml")
        let edited = try #require(Self.read(config)).replacingOccurrences(of: "user = \"\"", with: "user = \"nobody\"")
        try edited.write(toFile: config, atomically: false, encoding: .utf8)

        let second = try await Self.make("install", destination: root, prefix: "/usr/local")
        #expect(second.status == 0, "\(second.output)")
        #expect(Self.read(config) == edited)
        #expect(second.output.contains { $0.contains("keeping existing") && $0.contains(config) }, "\(second.output)")
    }
}
