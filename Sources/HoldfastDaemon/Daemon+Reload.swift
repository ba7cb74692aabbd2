// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastConfig

/// SIGHUP and `POST /reload`: re-read the config file and apply it in place.
extension Daemon {
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
}

/// A rejected reload, with the reason.
struct ReloadFailure: Error {
    let message: String
}
