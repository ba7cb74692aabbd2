// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastConfig
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Start to stop: trap the signals, load the cache, bind, start the control socket, drop
/// privileges, announce READY=1, run the services until SIGTERM/SIGINT, then shut down.
extension Daemon {
    func serve() async -> Int32 {
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
            control = try await ControlEndpoint.start(daemon: self, socketPath: config.control.socket, metricsListen: config.control.metricsListen)
        } catch {
            logger.critical("cannot start control socket", metadata: ["socket": "\(config.control.socket)", "error": "\(error)"])
            printError("holdfastd: control socket \(config.control.socket): \(error)")
            await server.close()
            await shutdownResources()
            return ExitStatus.runtimeFailure
        }
        if let failed = applyPrivilegeSettings(config) { await control.server.shutdown(); await server.close(); await shutdownResources(); return failed }
        // The addresses as bound (a port 0 in the config resolved), so whoever started the
        // daemon on port 0 (the integration tests) learns where it listens.
        let addresses = server.boundAddresses.map { "\($0.transport.rawValue) \(Self.hostPort($0.address))" }
        logger.notice("holdfastd ready", metadata: [
            "listen": "\(addresses)", "metrics_listen": "\(control.server.metricsLocalAddress.map(Self.hostPort) ?? "off")",
            "cache_entries": "\(cache.count)", "providers": "\(config.upstream.providers.map(\.name))",
        ])
        enter(.serving)
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
                    self.enter(.draining)  // before the log line, which tests wait for
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

    func shutdownResources() async {
        upstream.shutdown()
        try? await group.shutdownGracefully()
    }

    /// `127.0.0.1:53` or `[::1]:53`.
    static func hostPort(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "?"
        return "\(host.contains(":") ? "[\(host)]" : host):\(address.port ?? 0)"
    }
}
