// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import ArgumentParser
import HoldfastConfig
import HoldfastDaemon
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `holdfastd`: the resilient local DNS resolver daemon.
struct HoldfastdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holdfastd",
        abstract: "Holdfast: a resilient local DNS resolver that keeps answering when upstream DNS breaks.",
        discussion: """
            Answers DNS over UDP and TCP on the addresses in server.listen, from its cache or by
            forwarding to the configured upstream providers through c-ares; serves stale data
            (RFC 8767) when they fail. Logs go to stderr.

            Signals: SIGTERM/SIGINT stop gracefully (in-flight queries finish, the cache is
            persisted, exit 0); SIGHUP reloads the config file.

            Exit status: 0 clean stop or valid config, 1 runtime failure (e.g. cannot bind),
            2 missing or invalid config file.
            """,
        version: HoldfastVersion.string
    )

    @Option(name: .long, help: ArgumentHelp("Config file.", valueName: "path"))
    var config: String = HoldfastConfiguration.defaultPath

    @Flag(name: .long, help: "Validate the config file and exit 0 (valid) or 2 (invalid) without binding anything.")
    var checkConfig = false

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        if checkConfig {
            let status = Daemon.checkConfig(path: config)
            if status != 0 { throw ExitCode(status) }
            return
        }
        let status = await Daemon.run(configPath: config, logLevel: Logger.Level(rawValue: logLevel) ?? .info)
        if status != 0 { throw ExitCode(status) }
    }
}
