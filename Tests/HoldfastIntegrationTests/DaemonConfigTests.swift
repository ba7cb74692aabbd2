// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import HoldfastTestSupport
import Testing

/// `--check-config`, bad config files and `--version`: exit codes and the one-line error.
@Suite("holdfastd config handling")
struct DaemonConfigTests {
    /// A valid config for a daemon that is never started (no upstream is contacted).
    static func validText(_ directory: TemporaryDirectory) throws -> String {
        DaemonConfig(upstreams: [.v4(try FreePort.closed())]).render(port: 0, directory: directory.path)
    }

    /// The non-empty lines the daemon printed.
    static func output(_ run: (status: Int32, stdout: [String], stderr: [String])) -> [String] {
        (run.stderr + run.stdout).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    @Test func checkConfigAcceptsAValidFile() async throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("holdfast.toml", try Self.validText(directory))
        let run = try await DaemonProcess.run(["--config", path, "--check-config"])
        #expect(run.status == 0, "\(Self.output(run))")
    }

    @Test func checkConfigAcceptsTheShippedDefault() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = repository.appendingPathComponent("config/holdfast.toml").path
        let run = try await DaemonProcess.run(["--config", path, "--check-config"])
        #expect(run.status == 0, "\(Self.output(run))")
    }

    /// (what is wrong, edit of the valid text, key the error must name)
    static let invalidCases: [(String, @Sendable (String) -> String, String)] = [
        ("unknown key", { $0.replacingOccurrences(of: "[server]\n", with: "[server]\nbogus_key = 1\n") }, "bogus_key"),
        ("wrong type", { $0.replacingOccurrences(of: "timeout_ms = 500", with: "timeout_ms = \"fast\"") }, "timeout_ms"),
        ("bad enum value", { $0.replacingOccurrences(of: "policy = \"failover\"", with: "policy = \"random\"") }, "policy"),
        ("bad listen address", {
            $0.replacingOccurrences(of: "listen = [", with: "listen = [\"not-an-address\", ")
        }, "listen"),
        ("unknown section", { $0 + "\n[telemetry]\nenabled = true\n" }, "telemetry"),
    ]

    @Test("An invalid file: exit 2 and one line naming file and key", arguments: 0..<invalidCases.count)
    func invalidConfig(index: Int) async throws {
        let (problem, edit, key) = Self.invalidCases[index]
        let directory = try TemporaryDirectory()
        let text = edit(try Self.validText(directory))
        let path = try directory.write("holdfast.toml", text)
        for arguments in [["--config", path, "--check-config"], ["--config", path]] {
            let run = try await DaemonProcess.run(arguments)
            let lines = Self.output(run)
            #expect(run.status == 2, "\(problem): \(lines)")
            #expect(lines.count == 1, "\(problem): \(lines)")
            #expect(lines.first?.contains(key) == true, "\(problem): \(lines)")
            #expect(lines.first?.contains("holdfast.toml") == true, "\(problem): \(lines)")
        }
    }

    @Test func syntaxErrorNamesTheLine() async throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("holdfast.toml", "[server]\nthreads = 1\nlisten = [\"127.0.0.1:53\"\n")
        let run = try await DaemonProcess.run(["--config", path, "--check-config"])
        let lines = Self.output(run)
        #expect(run.status == 2)
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("holdfast.toml") == true)
        #expect(lines.first?.lowercased().contains("line") == true, "\(lines)")
    }

    @Test func missingFileIsExit2NamingIt() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("absent.toml")
        for arguments in [["--config", path, "--check-config"], ["--config", path]] {
            let run = try await DaemonProcess.run(arguments)
            #expect(run.status == 2)
            #expect(Self.output(run).count == 1)
            #expect(Self.output(run).first?.contains(path) == true, "\(Self.output(run))")
        }
    }

    @Test func checkConfigBindsNothing() async throws {
        // The listen port is already taken: --check-config must still succeed.
        let taken = try ListeningSockets()
        let directory = try TemporaryDirectory()
        let text = DaemonConfig(upstreams: [.v4(try FreePort.closed())]).render(port: taken.port, directory: directory.path)
        let path = try directory.write("holdfast.toml", text)
        let run = try await DaemonProcess.run(["--config", path, "--check-config"])
        #expect(run.status == 0, "\(Self.output(run))")
        #expect(!FileManager.default.fileExists(atPath: directory.file("control.sock")))
    }

    @Test func versionPrintsAndExits0() async throws {
        let run = try await DaemonProcess.run(["--version"])
        #expect(run.status == 0)
        #expect(!Self.output(run).isEmpty)
    }
}
