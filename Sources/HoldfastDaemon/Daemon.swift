// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastCache
import HoldfastConfig
import HoldfastResolver
import HoldfastServer
import HoldfastUpstream
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The composition root: builds every part from the config file. Each concern has a file:
/// start to stop and signals in `Daemon+Lifecycle`, the cache file in `Daemon+Persistence`,
/// SIGHUP and `POST /reload` in `Daemon+Reload`, the systemd watchdog in `Daemon+Watchdog`,
/// health and STATUS= in `Daemon+Status`.
public final class Daemon: Sendable {
    /// Exit statuses of `holdfastd`.
    public enum ExitStatus {
        public static let success: Int32 = 0
        public static let runtimeFailure: Int32 = 1
        public static let configError: Int32 = 2
    }

    let configPath: String
    let logger: Logger
    let clock = SystemMillisecondClock()
    let startedAtMillis: UInt64
    let configuration: Mutex<HoldfastConfiguration>
    let cache: DNSCache
    let upstream: UpstreamPool
    let resolver: QueryResolver
    let server: DNSServer
    let metrics: DaemonMetrics
    let group: MultiThreadedEventLoopGroup
    let notifier: SystemdNotifier
    let watchdogInterval: Duration?
    let rate: QueryRate
    let lastHealth = Mutex<String>("")
    let persistLock = Mutex<Bool>(false)
    /// A `ServingPhase`, for `/readyz`.
    let phase = Atomic<UInt8>(ServingPhase.starting.rawValue)
    /// The watchdog's latest check of the serving path, for `/livez`.
    let lastServingCheck = Mutex<ServingCheck?>(nil)

    init(configPath: String, configuration: HoldfastConfiguration, logger: Logger) throws {
        self.configPath = configPath
        self.logger = logger
        self.startedAtMillis = clock.nowMillis()
        self.configuration = Mutex(configuration)
        let threads = configuration.server.threads > 0 ? configuration.server.threads : System.coreCount
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        metrics = DaemonMetrics(clock: clock, logQueries: configuration.log.queries, logger: logger)
        cache = DNSCache(configuration: ConfigurationMapping.cache(configuration))
        upstream = try UpstreamPool(
            configuration: ConfigurationMapping.upstream(configuration), logger: logger, observer: metrics)
        resolver = QueryResolver(
            configuration: ConfigurationMapping.resolver(configuration), cache: cache, upstream: upstream, clock: clock,
            observer: metrics, logger: logger)
        server = DNSServer(
            configuration: ConfigurationMapping.server(configuration), resolver: resolver, group: group, logger: logger)
        notifier = SystemdNotifier.fromProcessEnvironment()
        watchdogInterval = SystemdNotifier.watchdogIntervalFromProcessEnvironment()
        rate = QueryRate(clock: clock)
        for provider in configuration.upstream.providers {
            for server in provider.servers {
                metrics.upGauge(provider: provider.name, server: server.description).record(1)
            }
        }
    }

    // MARK: - Entry point

    /// `--check-config`: validates the file without binding anything; returns the exit status.
    public static func checkConfig(path: String) -> Int32 {
        do {
            _ = try HoldfastConfiguration.load(path: path)
        } catch {
            printError("holdfastd: \(error.description)")
            return ExitStatus.configError
        }
        print("\(path): OK")
        return ExitStatus.success
    }

    /// Runs the daemon; returns the process exit status.
    public static func run(configPath: String, logLevel: Logger.Level) async -> Int32 {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "holdfastd")
        let configuration: HoldfastConfiguration
        do {
            configuration = try HoldfastConfiguration.load(path: configPath)
        } catch {
            printError("holdfastd: \(error)")
            return ExitStatus.configError
        }
        if let unsafe = ConfigFileSafety.check(path: configPath) { printError("holdfastd: \(unsafe)"); return ExitStatus.configError }
        let daemon: Daemon
        do {
            daemon = try Daemon(configPath: configPath, configuration: configuration, logger: logger)
        } catch {
            printError("holdfastd: \(configPath): \(error)")
            return setupFailureStatus(error)
        }
        return await daemon.serve()
    }

    /// Exit status for a failure while building the daemon: 2 only when the config is to blame;
    /// 1 for the machine's (epoll_create1, eventfd, pthread_create, c-ares initialisation).
    static func setupFailureStatus(_ error: any Error) -> Int32 {
        error is UpstreamConfigurationError ? ExitStatus.configError : ExitStatus.runtimeFailure
    }
}

public func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
