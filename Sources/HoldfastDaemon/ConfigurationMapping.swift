// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastCache
import HoldfastConfig
import HoldfastResolver
import HoldfastServer
import HoldfastTLS
import HoldfastUpstream
import NIOCore

/// Maps the one parsed config file onto each module's own configuration struct.
/// Only the daemon knows both sides. The config holds typed values already (names, records,
/// addresses), so nothing here parses text or drops an entry.
enum ConfigurationMapping {
    static func upstream(_ config: HoldfastConfiguration) -> UpstreamConfiguration {
        let policy: UpstreamConfiguration.Policy
        switch config.upstream.policy {
        case .failover: policy = .failover
        case .fastest: policy = .fastest
        case .race: policy = .race
        }
        return UpstreamConfiguration(
            policy: policy, timeoutMs: config.upstream.timeoutMs, hedgeAfterMs: config.upstream.hedgeAfterMs,
            failureThreshold: config.upstream.failureThreshold, probeIntervalSeconds: config.upstream.probeIntervalS,
            providers: config.upstream.providers.map { provider in
                UpstreamConfiguration.Provider(
                    name: provider.name, servers: provider.servers.map { UpstreamServerAddress(host: $0.host, port: $0.port) },
                    transport: transport(provider))
            },
            routes: config.routes.map { UpstreamConfiguration.Route(domains: $0.domains, providers: $0.providers) },
            randomizeCase: config.upstream.randomizeCase,
            rotateAfterQueries: ChannelRotation(rotateAfterQueries: config.upstream.rotateAfterQueries),
            retryBudgetPercent: config.upstream.retryBudgetPercent,
            retryBudgetMinPerSecond: config.upstream.retryBudgetMinPerS, tlsIdleTimeoutMs: config.upstream.tlsIdleTimeoutMs)
    }

    private static func transport(_ provider: ProviderSection) -> UpstreamConfiguration.Transport {
        if provider.transport == .tcp { return .tcp }
        guard provider.transport != .dns, let tls = provider.tls else { return .dns }
        let settings = TLSClientSettings(serverName: tls.name, verify: tls.verify, caFile: tls.caFile, pins: tls.pins)
        return provider.transport == .https ? .https(settings, path: tls.httpsPath) : .tls(settings)
    }

    static func cache(_ config: HoldfastConfiguration) -> CacheConfiguration {
        CacheConfiguration(
            maxEntries: config.cache.maxEntries, minTTLSeconds: UInt32(clamping: config.cache.minTTLSeconds),
            maxTTLSeconds: UInt32(clamping: config.cache.maxTTLSeconds),
            negativeMaxTTLSeconds: UInt32(clamping: config.cache.negativeMaxTTLSeconds), prefetch: config.cache.prefetch,
            staleEnabled: config.cache.stale.enabled, staleMaxAgeSeconds: UInt32(clamping: config.cache.stale.maxAgeSeconds))
    }

    static func resolver(_ config: HoldfastConfiguration) -> ResolverConfiguration {
        ResolverConfiguration(
            staleAnswerTTLSeconds: UInt32(clamping: config.cache.stale.answerTTLSeconds),
            clientTimeoutMs: config.cache.stale.clientTimeoutMs,
            prefetch: config.cache.prefetch, lastKnownGood: lastKnownGood(config.resilience),
            localZone: LocalZone(records: config.local),
            failureTTLSeconds: config.cache.failureTTLSeconds, failureMaxTTLSeconds: config.cache.failureMaxTTLSeconds,
            collapseHoldSeconds: config.resilience.collapseHoldSeconds, maxInFlight: config.upstream.maxInFlight)
    }

    /// The validated patterns, typed: no second parse.
    static func lastKnownGood(_ resilience: ResilienceSection) -> LastKnownGoodPatterns {
        LastKnownGoodPatterns(
            exact: resilience.lastKnownGood.filter { !$0.coversSubdomains }.map(\.name),
            below: resilience.lastKnownGood.filter(\.coversSubdomains).map(\.name))
    }

    static func server(_ config: HoldfastConfiguration) -> ServerConfiguration {
        ServerConfiguration(
            listen: listen(config),
            acl: acl(config),
            tcpIdleTimeout: .milliseconds(Int64(config.server.tcpIdleTimeoutMs)),
            tcpMaxConnections: config.server.tcpMaxConnections,
            rateLimitQPS: config.server.rateLimitQPS, rateLimitBurst: config.server.rateLimitBurst)
    }

    static func listen(_ config: HoldfastConfiguration) -> [SocketAddress] {
        config.server.listen.map(SocketAddress.init)
    }

    static func acl(_ config: HoldfastConfiguration) -> ClientACL {
        ClientACL(config.server.allowList)
    }
}
