import DNSWire
import HoldfastCache
import HoldfastConfig
import HoldfastResolver
import HoldfastServer
import HoldfastUpstream
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The composition root: builds every part from the config file, binds, loads the cache,
/// tells systemd it is ready, runs the services until SIGTERM/SIGINT, persists, exits.
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
            return ExitStatus.configError
        }
        return await daemon.serve()
    }

    private func serve() async -> Int32 {
        // Trap the signals before anything can be announced: a SIGTERM that arrives right after
        // READY=1 must stop the daemon gracefully (cache persisted, exit 0), not kill it, and an
        // early SIGHUP must not terminate it. The sequences buffer until the services read them.
        let stopSignals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let reloadSignals = await UnixSignalsSequence(trapping: .sighup)
        let config = configuration.withLock { $0 }
        loadCache(path: config.cache.persistPath)
        let inherited = SocketActivation.takeInheritedSockets()
        let activation = (udp: inherited.filter { $0.kind == .datagram }.map(\.fd), tcp: inherited.filter { $0.kind == .stream }.map(\.fd))
        do {
            try await server.bind(inheritedUDP: activation.udp, inheritedTCP: activation.tcp)
        } catch {
            logger.critical("cannot bind DNS listeners", metadata: ["listen": "\(config.server.listen.map(\.description))", "error": "\(error)"])
            printError("holdfastd: cannot bind \(config.server.listen.map(\.description).joined(separator: ", ")): \(error)")
            await shutdownResources()
            return ExitStatus.runtimeFailure
        }
        let control: ControlEndpoint
        do {
            control = try await ControlEndpoint.start(daemon: self, socketPath: config.control.socket, metricsListen: config.control.metricsListen?.description)
        } catch {
            logger.critical("cannot start control socket", metadata: ["socket": "\(config.control.socket)", "error": "\(error)"])
            printError("holdfastd: control socket \(config.control.socket): \(error)")
            await server.close()
            await shutdownResources()
            return ExitStatus.runtimeFailure
        }
        if let failed = applyPrivilegeSettings(config) { await control.server.shutdown(); await server.close(); await shutdownResources(); return failed }
        let addresses = server.boundAddresses.map { bound -> String in
            let host = bound.address.ipAddress ?? "?"
            return "\(bound.transport.rawValue) \(host.contains(":") ? "[\(host)]" : host):\(bound.address.port ?? 0)"
        }
        logger.notice("holdfastd ready", metadata: [
            "listen": "\(addresses)", "cache_entries": "\(cache.count)", "providers": "\(config.upstream.providers.map(\.name))",
        ])
        notifier.ready(status: statusLine())
        lastHealth.withLock { $0 = healthReport().status.rawValue }
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: control, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: PersistenceService(daemon: self), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: DNSService(server: server, resolver: resolver, logger: logger), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: ReloadService(daemon: self, signals: reloadSignals), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: WatchdogService(daemon: self), successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        let status = await withTaskGroup(of: Int32?.self) { group -> Int32 in
            group.addTask { [logger] in
                for await signal in stopSignals {
                    logger.notice("stopping", metadata: ["signal": "\(signal)"])
                    await serviceGroup.triggerGracefulShutdown()
                    break
                }
                return nil
            }
            group.addTask { [logger] in
                do {
                    try await serviceGroup.run()
                    return ExitStatus.success
                } catch {
                    logger.error("service failed", metadata: ["error": "\(error)"])
                    return ExitStatus.runtimeFailure
                }
            }
            var result = ExitStatus.success
            for await finished in group {
                guard let finished else { continue }
                result = finished
                group.cancelAll()
            }
            return result
        }
        notifier.stopping(status: "stopping")
        await shutdownResources()
        logger.notice("holdfastd stopped")
        return status
    }

    private func shutdownResources() async {
        upstream.shutdown()
        try? await group.shutdownGracefully()
    }

    // MARK: - Persistence

    var persistInterval: Duration {
        .seconds(max(1, configuration.withLock { $0.cache.persistIntervalSeconds }))
    }

    private func loadCache(path: String) {
        guard !path.isEmpty else { return }
        let started = clock.nowMillis()
        do {
            let snapshot = try CacheSnapshotFile.read(from: path, wallClockNow: wallClockSeconds())
            let restored = cache.restore(snapshot, now: clock.nowMillis())
            logger.notice("cache loaded", metadata: ["path": "\(path)", "entries": "\(restored)", "ms": "\(clock.nowMillis() - started)"])
        } catch SnapshotError.missing {
            logger.info("no cache file yet", metadata: ["path": "\(path)"])
        } catch {
            logger.warning("cache file unusable; starting with an empty cache", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Writes the snapshot off the event loops and the cooperative pool.
    func persistCache(reason: String) async {
        let path = configuration.withLock { $0.cache.persistPath }
        guard !path.isEmpty else { return }
        guard persistLock.withLock({ busy in busy ? false : { busy = true; return true }() }) else { return }
        defer { persistLock.withLock { $0 = false } }
        let snapshot = cache.snapshot(now: clock.nowMillis())
        let started = clock.nowMillis()
        let now = wallClockSeconds()
        do {
            try await NIOThreadPool.singleton.runIfActive {
                Self.createParentDirectory(of: path)
                try CacheSnapshotFile.write(snapshot, to: path, wallClockNow: now)
            }
            logger.info("cache persisted", metadata: ["path": "\(path)", "reason": "\(reason)", "ms": "\(clock.nowMillis() - started)"])
        } catch {
            logger.warning("cannot write cache file", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// `mkdir -p` (mode 0750) for the cache file's directory, so `make run` as root works
    /// without systemd's StateDirectory=. Failures surface as the write's own error.
    static func createParentDirectory(of path: String) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        var prefix = ""
        for component in path[..<slash].split(separator: "/") {
            prefix += "/" + component
            _ = mkdir(prefix, 0o750)
        }
    }

    // MARK: - Reload

    /// Re-reads the config file and applies it; the old config keeps running when it is invalid.
    func reload(trigger: String) async -> Result<Void, ReloadFailure> {
        notifier.reloading(status: "reloading config")
        defer { notifier.ready(status: statusLine()) }
        let fresh: HoldfastConfiguration
        do {
            fresh = try HoldfastConfiguration.load(path: configPath)
        } catch {
            logger.error("config reload rejected; keeping the running config", metadata: ["trigger": "\(trigger)", "error": "\(error)"])
            return .failure(ReloadFailure(message: "\(error)"))
        }
        let old = configuration.withLock { $0 }
        if fresh.control.socket != old.control.socket {
            logger.warning("control.socket changes need a restart; keeping the current socket", metadata: ["socket": "\(old.control.socket)"])
        }
        if fresh.server.listen != old.server.listen {
            do {
                try await server.rebind(to: ConfigurationMapping.listen(fresh))
            } catch {
                logger.error("config reload rejected: cannot bind new listen addresses", metadata: ["error": "\(error)"])
                return .failure(ReloadFailure(message: "cannot bind new listen addresses: \(error)"))
            }
        }
        await upstream.reconfigureAndWait(ConfigurationMapping.upstream(fresh))
        cache.reconfigure(ConfigurationMapping.cache(fresh))
        resolver.reconfigure(ConfigurationMapping.resolver(fresh))
        if fresh.upstream != old.upstream || fresh.routes != old.routes {
            // Failures were the old upstreams': the new ones get a chance at once.
            resolver.failures.flush()
        }
        server.update(
            acl: ConfigurationMapping.acl(fresh), tcpMaxConnections: fresh.server.tcpMaxConnections,
            rateLimitQPS: fresh.server.rateLimitQPS, rateLimitBurst: fresh.server.rateLimitBurst)
        metrics.setLogQueries(fresh.log.queries)
        configuration.withLock { $0 = fresh }
        logger.notice("config reloaded", metadata: ["trigger": "\(trigger)", "providers": "\(fresh.upstream.providers.map(\.name))"])
        return .success(())
    }

    // MARK: - Watchdog and status

    var watchdogTick: Duration {
        if let interval = watchdogInterval { return interval }
        return .seconds(5)
    }

    /// Pings the systemd watchdog only when every event loop runs a task, no UDP reading thread
    /// has left datagrams waiting since the previous check, and the resolver answers a local
    /// question; also refreshes STATUS= when health changes.
    func watchdogCheck() async {
        var healthy = server.udpReadersKeepUp()
        for loop in group.makeIterator() {
            let answered = try? await loop.submit { true }.get()
            if answered != true { healthy = false }
        }
        if healthy { healthy = resolverAnswersLocally() }
        if healthy && watchdogInterval != nil { notifier.watchdog() }
        _ = rate.queriesPerSecond(total: UInt64(metrics.udp.total + metrics.tcp.total))
        let health = healthReport().status.rawValue
        let changed = lastHealth.withLock { last -> Bool in
            defer { last = health }
            return last != health
        }
        if changed {
            logger.notice("health changed", metadata: ["health": "\(health)"])
            notifier.status(statusLine())
        }
    }

    private func resolverAnswersLocally() -> Bool {
        let query = DNSMessage.makeQuery(id: 1, question: DNSQuestion(name: (try? DNSName("localhost.")) ?? .root, type: .a), udpPayloadSize: nil)
        let disposition = query.withUnsafeBytes { resolver.handleUnobserved($0) }
        if case .answer = disposition { return true }
        return false
    }

    func statusLine() -> String {
        let health = healthReport()
        let total = metrics.udp.total + metrics.tcp.total
        return "\(health.status): \(health.providersUp)/\(health.providersTotal) providers up, \(cache.count) cached, \(total) queries"
    }

    var uptimeSeconds: Int { Int((clock.nowMillis() - startedAtMillis) / 1000) }
}

/// A rejected reload, with the reason.
struct ReloadFailure: Error {
    let message: String
}

public func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// Seconds since 1970 for the cache file (TTL aging across restarts).
func wallClockSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
