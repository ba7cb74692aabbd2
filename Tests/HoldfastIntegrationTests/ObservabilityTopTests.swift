// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// `holdfastctl top` in a real terminal (a private tmux server) against a running holdfastd:
/// it shows the daemon's providers and a live query rate while queries flow, and quits on `q`.
@Suite("holdfastctl top against a running holdfastd", .serialized)
struct ObservabilityTopTests {
    static let tmux = "/usr/bin/tmux"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: tmux)))
    func topShowsTheLiveDaemonAndQuitsOnQ() async throws {
        let stack = try await ObservedStack.start()
        let server = "hfobs-\(UUID().uuidString.prefix(8))"
        do {
            try await runTop(stack, server: server)
        } catch {
            await Self.killServer(server)
            await stack.stop()
            throw error
        }
        await Self.killServer(server)
        await stack.stop()
    }

    private func runTop(_ stack: ObservedStack, server: String) async throws {
        let ctl = try Executables.holdfast("holdfastctl")
        let script = "'\(ctl)' --socket '\(stack.daemon.controlSocketPath)' top --interval 0.2; echo \"top exited $?\"; sleep 30"
        // The client that starts the tmux server hands it its stdout: discard it, wait for exit.
        let start = try ChildProcess(
            executable: Self.tmux, arguments: ["-L", server, "new-session", "-d", "-s", "top", "-x", "110", "-y", "30", "sh", "-c", script],
            environment: ProcessInfo.processInfo.environment)
        #expect(try await start.waitForExit(timeout: .seconds(10)) == 0)

        // Queries keep flowing while top samples: the rate it shows must become positive.
        let asking = Task {
            for index in 0..<1000 where !Task.isCancelled {
                _ = try? await stack.ask("top\(index % 20).example.test")
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        defer { asking.cancel() }
        let clock = ContinuousClock()
        var live = await Self.screen(server)
        let liveDeadline = clock.now + .seconds(15)
        while !Self.showsLiveDaemon(live), clock.now < liveDeadline {
            try await Task.sleep(for: .milliseconds(100))
            live = await Self.screen(server)
        }
        asking.cancel()
        #expect(Self.showsLiveDaemon(live), "top never showed a live rate and both providers up:\n\(live)")
        #expect(live.split(separator: "\n").contains { $0.hasPrefix("health") && $0.hasSuffix(" ok") }, "\(live)")
        #expect(live.contains(stack.serverLabel(0)), "\(live)")

        _ = try await ChildProcess.run(Self.tmux, ["-L", server, "send-keys", "-t", "top", "q"], timeout: .seconds(5))
        var after = await Self.screen(server)
        let quitDeadline = clock.now + .seconds(10)
        while !after.contains("top exited"), clock.now < quitDeadline {
            try await Task.sleep(for: .milliseconds(100))
            after = await Self.screen(server)
        }
        #expect(after.contains("top exited 0"), "\(after)")
    }

    /// A positive queries/s figure and both providers shown up.
    private static func showsLiveDaemon(_ screen: String) -> Bool {
        let rate = screen.split(separator: "\n").first { $0.hasPrefix("queries/s") }?
            .split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return rate > 0 && screen.contains("p1 (up)") && screen.contains("p2 (up)")
    }

    private static func screen(_ server: String) async -> String {
        let run = try? await ChildProcess.run(tmux, ["-L", server, "capture-pane", "-p", "-t", "top"], timeout: .seconds(5))
        return run?.stdout.joined(separator: "\n") ?? ""
    }

    private static func killServer(_ server: String) async {
        _ = try? await ChildProcess.run(tmux, ["-L", server, "kill-server"], timeout: .seconds(5))
        unlink("/tmp/tmux-\(getuid())/\(server)")
    }
}
