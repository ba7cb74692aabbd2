// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import ArgumentParser
import FoundationEssentials

/// `holdfastctl top`: a live view refreshed every interval; quits on q, Ctrl-C, SIGINT or
/// SIGTERM and always restores the terminal. Keeps retrying while the daemon is unreachable.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Live view; q or Ctrl-C quits.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Seconds between refreshes.") var interval: Double = 1

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
    }

    func run() throws {
        let session: TerminalSession
        do {
            session = try TerminalSession()
        } catch {
            StandardStreams.writeError("holdfastctl: \(error.message)\n")
            throw ExitCode(error.exitCode)
        }
        TerminalSignals.install()
        defer {
            session.restore()
            TerminalSignals.uninstall()
        }
        let client = ControlClient(socketPath: global.socket, timeoutSeconds: 2)
        let clock = ContinuousClock()
        let step = Duration.milliseconds(Int64(interval * 1000))
        var model = TopModel(socket: global.socket)
        var nextRefresh = clock.now
        while TerminalSignals.quit.load(ordering: .relaxed) == 0 {
            var redraw = TerminalSignals.resized.exchange(false, ordering: .relaxed)
            if clock.now >= nextRefresh {
                refresh(&model, client: client, now: clock.now)
                nextRefresh = clock.now + step
                redraw = true
            }
            if redraw {
                let size = session.size()
                session.draw(model.render(rows: size.rows, columns: size.columns))
            }
            let wait = nextRefresh - clock.now
            let milliseconds = Int32(clamping: wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
            guard let keys = session.readKeys(waitingUpTo: milliseconds) else { break }
            if keys.contains(where: { $0 == UInt8(ascii: "q") || $0 == UInt8(ascii: "Q") || $0 == 3 || $0 == 4 }) { break }
        }
    }

    private func refresh(_ model: inout TopModel, client: ControlClient, now: ContinuousClock.Instant) {
        do {
            let stats = try client.stats().report
            let health = try client.health().report
            let upstreams = try client.upstreams().report
            model.record(stats: stats, health: health, upstreams: upstreams, at: now)
        } catch {
            model.error = error.message
        }
    }
}
