// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastCtl
import Testing

/// Where the built `holdfastctl` lives: `HOLDFAST_BIN_DIR`, else beside the test bundle.
func builtBinary(_ name: String) -> String? {
    var candidates: [String] = []
    if let directory = ProcessInfo.processInfo.environment["HOLDFAST_BIN_DIR"] { candidates.append(directory) }
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0])
    candidates.append(bundle.deletingLastPathComponent().path)
    candidates.append(bundle.deletingLastPathComponent().deletingLastPathComponent().path)
    return candidates.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// A private tmux server (its own `-L` socket) holding one pane of the given size.
struct TmuxPane {
    let server: String

    /// Runs a tmux client off the cooperative pool. Only `capture` reads output: a client that
    /// starts the server would hand the server its stdout and a pipe would never see EOF.
    @discardableResult
    func tmux(_ arguments: [String], capturing: Bool = false) async throws -> String {
        let server = self.server
        return try await offPool { try runProgram("/usr/bin/tmux", ["-L", server] + arguments, captureOutput: capturing).output }
    }

    /// Ends the private tmux server (and the pane's processes) and removes its socket file.
    func stop() async {
        _ = try? await tmux(["kill-server"])
        unlink("/tmp/tmux-\(getuid())/\(server)")
    }

    func capture() async throws -> String { try await tmux(["capture-pane", "-p", "-t", "top"], capturing: true) }

    /// Polls the pane until `predicate` holds, at most `seconds`.
    func waitFor(seconds: Double, _ predicate: (String) -> Bool) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(seconds * 1000))
        var screen = try await capture()
        while !predicate(screen), clock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            screen = try await capture()
        }
        return screen
    }
}

@Suite("holdfastctl top in a real terminal (tmux)")
struct TopTerminalTests {
    static let tmuxAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")

    @Test("top shows live figures and quits restoring the terminal", .enabled(if: tmuxAvailable), arguments: ["q", "C-c"])
    func top(quitKey: String) async throws {
        guard let binary = builtBinary("holdfastctl") else {
            Issue.record("holdfastctl is not built: run `swift build` or set HOLDFAST_BIN_DIR")
            return
        }
        try await withServer { running in
            let pane = TmuxPane(server: "hfctl-\(UUID().uuidString.prefix(8))")
            do {
                try await runTop(binary: binary, socket: running.socketPath, pane: pane, quitKey: quitKey)
            } catch {
                await pane.stop()
                throw error
            }
            await pane.stop()
        }
    }

    private func runTop(binary: String, socket: String, pane: TmuxPane, quitKey: String) async throws {
        let script = "'\(binary)' --socket '\(socket)' top --interval 0.2; echo \"top exited $?\"; "
            + "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo -e isig -e -icanon -e -echo -e -isig | tr '\\n' ' '; echo; sleep 30"
        try await pane.tmux(["new-session", "-d", "-s", "top", "-x", "110", "-y", "30", "sh", "-c", script])

        let live = try await pane.waitFor(seconds: 10) { $0.contains("queries/s") && $0.contains("127.0.0.2:5303") && $0.contains("█") }
        #expect(live.contains("holdfastctl top"))
        #expect(live.split(separator: "\n").contains { $0.hasPrefix("health") && $0.hasSuffix(" ok") })
        #expect(live.contains("alpha (up)"))
        #expect(live.contains("beta-long-name (down)"))
        #expect(live.contains("connection refused"))
        // The fake adds 50 queries per sample: the rate shown is a positive figure.
        let rateLine = live.split(separator: "\n").first { $0.hasPrefix("queries/s") } ?? ""
        let rate = rateLine.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        #expect(rate > 0, "\(rateLine)")

        try await pane.tmux(["send-keys", "-t", "top", quitKey])
        let after = try await pane.waitFor(seconds: 10) { $0.contains("top exited") && $0.contains("icanon") }
        #expect(after.contains("top exited 0"))
        let words = Set(after.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        #expect(words.isSuperset(of: ["icanon", "echo", "isig"]), "terminal modes not restored:\n\(after)")
        #expect(words.isDisjoint(with: ["-icanon", "-echo", "-isig"]), "terminal modes not restored:\n\(after)")
        #expect(!after.contains("PROVIDER"), "the alternate screen was not left:\n\(after)")
    }

    @Test("top refuses to run without a terminal")
    func noTerminal() async throws {
        guard let binary = builtBinary("holdfastctl") else {
            Issue.record("holdfastctl is not built: run `swift build` or set HOLDFAST_BIN_DIR")
            return
        }
        let result = try await offPool { try runProgramWithStderr(binary, ["--socket", "/tmp/nonexistent-holdfast.sock", "top"]) }
        #expect(result.status == 2)
        #expect(result.stderr == "holdfastctl: top needs a terminal; use `holdfastctl status` in scripts\n")
    }
}

/// Runs `holdfastctl` without a terminal and collects its stderr (through a shell redirect).
func runProgramWithStderr(_ path: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let quoted = ([path] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
    let result = try runProgram("/bin/sh", ["-c", quoted + " 2>&1 >/dev/null; echo \"exit=$?\""], captureOutput: true)
    let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
    let statusLine = lines.last { $0.hasPrefix("exit=") } ?? "exit=-1"
    let stderr = result.output.replacingOccurrences(of: String(statusLine) + "\n", with: "")
    return (Int32(statusLine.dropFirst(5)) ?? -1, stderr)
}
