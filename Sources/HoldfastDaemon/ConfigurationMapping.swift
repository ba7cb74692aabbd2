import DNSWire
import HoldfastCache
import HoldfastConfig
import HoldfastResolver
import HoldfastServer
import HoldfastUpstream
import NIOCore
import NetAddress

/// Maps the one parsed config file onto each module's own configuration struct.
/// Only the daemon knows both sides.
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
                UpstreamConfiguration.Provider(name: provider.name, servers: provider.servers.map { UpstreamServerAddress(host: $0.host, port: $0.port) })
            },
            routes: config.routes.map { route in
                UpstreamConfiguration.Route(domains: route.domains.compactMap { try? DNSName($0) }, providers: route.providers)
            },
            randomizeCase: config.upstream.randomizeCase, rotateAfterQueries: config.upstream.rotateAfterQueries)
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
            staleEnabled: config.cache.stale.enabled, staleAnswerTTLSeconds: UInt32(clamping: config.cache.stale.answerTTLSeconds),
            staleMaxAgeSeconds: UInt32(clamping: config.cache.stale.maxAgeSeconds), clientTimeoutMs: config.cache.stale.clientTimeoutMs,
            prefetch: config.cache.prefetch, lastKnownGood: LastKnownGoodPatterns(config.resilience.lastKnownGood),
            localZone: LocalZone(records: config.local.compactMap(localRecord)), logQueries: config.log.queries,
            failureTTLSeconds: config.cache.failureTTLSeconds, failureMaxTTLSeconds: config.cache.failureMaxTTLSeconds)
    }

    /// A `[[local]]` entry as a record; the config layer has validated the data already.
    static func localRecord(_ entry: LocalRecordSection) -> DNSRecord? {
        guard let name = try? DNSName(entry.name), let type = DNSType(mnemonic: entry.type) else { return nil }
        let ttl = UInt32(clamping: entry.ttlSeconds)
        let data: DNSRData
        switch type {
        case .a:
            guard let address = try? IPAddress(parsing: entry.data), address.bytes.count == 4 else { return nil }
            data = .a(address.bytes)
        case .aaaa:
            guard let address = try? IPAddress(parsing: entry.data), address.bytes.count == 16 else { return nil }
            data = .aaaa(address.bytes)
        case .cname, .ptr:
            guard let target = try? DNSName(entry.data) else { return nil }
            data = .name(target)
        case .txt:
            let bytes = Array(entry.data.utf8)
            data = .txt(stride(from: 0, to: max(bytes.count, 1), by: 255).map { Array(bytes[$0..<min($0 + 255, bytes.count)]) })
        case .mx:
            let parts = entry.data.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, let preference = UInt16(parts[0]), let exchange = try? DNSName(String(parts[1])) else { return nil }
            data = .mx(preference: preference, exchange: exchange)
        default:
            return nil
        }
        return DNSRecord(name: name, type: type, ttl: ttl, data: data)
    }

    static func server(_ config: HoldfastConfiguration) throws -> ServerConfiguration {
        ServerConfiguration(
            listen: try config.server.listen.map { try SocketAddress(ipAddress: $0.host, port: Int($0.port)) },
            acl: acl(config),
            tcpIdleTimeout: .milliseconds(Int64(config.server.tcpIdleTimeoutMs)),
            tcpMaxConnections: config.server.tcpMaxConnections,
            rateLimitQPS: config.server.rateLimitQPS, rateLimitBurst: config.server.rateLimitBurst)
    }

    static func acl(_ config: HoldfastConfiguration) -> ClientACL {
        ClientACL(config.server.allowList)
    }
}
