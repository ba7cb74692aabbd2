// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import ArgumentParser
import HoldfastControlModels

/// `holdfastctl probe live|ready`: for container probes (exec probes through the pod's own
/// control socket). Exit 0 when `/livez` or `/readyz` answers 200, 1 when the daemon answers
/// anything else, 2 when it is unreachable.
struct ProbeCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Exit 0 when the daemon is live (/livez) or ready (/readyz), 1 when not, 2 when unreachable.")

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case live, ready

        var path: String {
            switch self {
            case .live: ControlAPI.Path.livez
            case .ready: ControlAPI.Path.readyz
            }
        }
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "live (GET /livez) or ready (GET /readyz).") var kind: Kind

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let answer = try client.probe(kind.path)
        let passed = answer.status == 200
        if global.json { return CommandOutcome(stdout: answer.raw, exitCode: passed ? 0 : 1) }
        if passed { return CommandOutcome(stdout: "\(kind.rawValue)\n") }
        let why = answer.report?.reason ?? "HTTP \(answer.status)"
        return CommandOutcome(stdout: "not \(kind.rawValue): \(why)\n", exitCode: 1)
    }
}
