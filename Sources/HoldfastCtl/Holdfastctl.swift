// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import ArgumentParser
import FoundationEssentials
import HoldfastControlModels

/// Options every command takes: where the daemon listens and whether to print raw JSON.
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: "The holdfastd control socket.")
    public var socket: String = ControlAPI.defaultSocketPath

    @Flag(name: .long, help: "Print the control API's JSON unchanged.")
    public var json = false

    public init() {}
}

/// What a non-interactive command printed and its exit status; lets tests run commands in-process.
public struct CommandOutcome: Sendable, Equatable {
    public var stdout: String
    public var stderr: String
    public var exitCode: Int32

    public init(stdout: String = "", stderr: String = "", exitCode: Int32 = 0) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitCode = exitCode
    }
}

/// A command that makes requests and prints once (everything but `top`).
protocol ControlCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome
}

extension ControlCommand {
    /// Runs the command against `global.socket`, turning failures into one stderr line.
    func outcome() -> CommandOutcome {
        do {
            return try execute(ControlClient(socketPath: global.socket))
        } catch {
            return CommandOutcome(stderr: "holdfastctl: \(error.message)\n", exitCode: error.exitCode)
        }
    }

    public func run() throws {
        let result = outcome()
        StandardStreams.writeOutput(result.stdout)
        StandardStreams.writeError(result.stderr)
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}

/// The `holdfastctl` root command: the operator CLI for holdfastd's control socket.
public struct Holdfastctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "holdfastctl",
        abstract: "Inspect and control a running holdfastd.",
        subcommands: [
            StatusCommand.self, StatsCommand.self, UpstreamsCommand.self, HealthCommand.self,
            CacheCommand.self, MetricsCommand.self, ReloadCommand.self, TopCommand.self,
            QueryCommand.self, HeldCommand.self, HoldCommand.self, ReleaseCommand.self, ProbeCommand.self,
        ]
    )

    @OptionGroup public var global: GlobalOptions

    public init() {}

    /// Parses and runs a non-interactive command in-process, capturing its output.
    /// `top` is interactive and is refused here.
    public static func execute(arguments: [String]) -> CommandOutcome {
        do {
            let command = try parseAsRoot(arguments)
            guard let control = command as? any ControlCommand else {
                return CommandOutcome(stderr: "holdfastctl: this command only runs in a terminal\n", exitCode: 64)
            }
            return control.outcome()
        } catch {
            let code = exitCode(for: error).rawValue
            let message = fullMessage(for: error) + "\n"
            return code == 0 ? CommandOutcome(stdout: message) : CommandOutcome(stderr: message, exitCode: code)
        }
    }
}
