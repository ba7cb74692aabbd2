// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import ArgumentParser
import HoldfastControlModels

/// `holdfastctl status`: one screen with health, rates and each provider's state.
struct StatusCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Health, rates and providers on one screen.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let health = try client.health()
        let stats = try client.stats()
        let upstreams = try client.upstreams()
        if global.json {
            return CommandOutcome(stdout: "{\n\"health\": \(health.raw),\n\"stats\": \(stats.raw),\n\"upstreams\": \(upstreams.raw)}\n")
        }
        return CommandOutcome(stdout: Render.status(health: health.report, stats: stats.report, upstreams: upstreams.report))
    }
}

/// `holdfastctl stats`: every counter.
struct StatsCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "All counters.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let reply = try client.stats()
        return CommandOutcome(stdout: global.json ? reply.raw : Render.stats(reply.report))
    }
}

/// `holdfastctl upstreams`: providers and servers with state, SRTT, failures, last error.
struct UpstreamsCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "upstreams", abstract: "Upstream providers and servers.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let reply = try client.upstreams()
        return CommandOutcome(stdout: global.json ? reply.raw : Render.upstreams(reply.report))
    }
}

/// `holdfastctl health`: prints the state; exit 0 ok, 1 degraded, 2 failing or unreachable.
struct HealthCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Print the health state; exit 0 ok, 1 degraded, 2 failing or unreachable.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let reply = try client.health()
        let code: Int32 = switch reply.report.status {
        case .ok: 0
        case .degraded: 1
        case .failing: 2
        }
        return CommandOutcome(stdout: global.json ? reply.raw : Render.health(reply.report), exitCode: code)
    }
}

/// `holdfastctl cache show|flush`.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Look at or flush the cache.", subcommands: [Show.self, Flush.self])

    /// `cache show NAME [TYPE]`: exit 0 when cached, 1 when not.
    struct Show: ControlCommand {
        static let configuration = CommandConfiguration(abstract: "Show the cached entry for NAME and TYPE (default A).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The name, e.g. example.com.") var name: String
        @Argument(help: "The record type, e.g. AAAA.") var type: String?

        func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
            let reply = try client.cacheEntry(name: name, type: type)
            let code: Int32 = reply.report.found ? 0 : 1
            return CommandOutcome(stdout: global.json ? reply.raw : Render.cacheEntry(reply.report), exitCode: code)
        }
    }

    /// `cache flush [NAME]`.
    struct Flush: ControlCommand {
        static let configuration = CommandConfiguration(abstract: "Remove every entry, or every entry of NAME.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this name (all types).") var name: String?

        func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
            let reply = try client.flush(name: name)
            let count = reply.report.flushed
            return CommandOutcome(stdout: global.json ? reply.raw : "flushed \(count) \(count == 1 ? "entry" : "entries")\n")
        }
    }
}

/// `holdfastctl metrics`: the raw Prometheus text.
struct MetricsCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Raw Prometheus metrics.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        CommandOutcome(stdout: try client.metrics())
    }
}

/// `holdfastctl reload`: re-read the config as SIGHUP does; exit 1 with the error if rejected.
struct ReloadCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "reload", abstract: "Reload the config file.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: ControlClient) throws(CommandFailure) -> CommandOutcome {
        let reply = try client.reload()
        if global.json { return CommandOutcome(stdout: reply.raw, exitCode: reply.report.ok ? 0 : 1) }
        guard reply.report.ok else {
            return CommandOutcome(stderr: "holdfastctl: reload rejected, the old config keeps running: \(reply.report.error ?? "unknown error")\n", exitCode: 1)
        }
        return CommandOutcome(stdout: "config reloaded\n")
    }
}
