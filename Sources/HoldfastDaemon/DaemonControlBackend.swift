// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import HoldfastControlModels
import HoldfastControlServer
import HoldfastResolver
import Logging
import NetAddress
import NIOCore
import ServiceLifecycle
import Synchronization

/// Answers the control API from the daemon's live state.
struct DaemonControlBackend: ControlBackend {
    let daemon: Daemon

    func health() -> HealthReport { daemon.healthReport() }
    func liveness() -> ProbeReport { daemon.liveness() }
    func readiness() -> ProbeReport { daemon.readiness() }

    func stats() -> StatsReport {
        let metrics = daemon.metrics
        let events = metrics.events
        func load(_ atomic: borrowing Atomic<Int>) -> UInt64 { UInt64(max(0, atomic.load(ordering: .relaxed))) }
        let udp = metrics.udp.snapshot.mapValues { UInt64($0) }
        let tcp = metrics.tcp.snapshot.mapValues { UInt64($0) }
        let total = udp.values.reduce(0, +) + tcp.values.reduce(0, +)
        let hits = load(events.cacheHits)
        let misses = load(events.cacheMisses)
        let stale = load(events.staleAnswers)
        let answeredFromCacheOrUpstream = hits + misses + stale
        return StatsReport(
            uptimeSeconds: Double(daemon.uptimeSeconds), queries: ["udp": udp, "tcp": tcp], totalQueries: total,
            cache: .init(hits: hits, misses: misses, stale: stale, evictions: daemon.cache.statistics.evictions, entries: UInt64(daemon.cache.count)),
            coalesced: load(events.coalesced), prefetches: load(events.prefetches), lastKnownGood: load(events.lastKnownGood),
            failureCacheHits: load(events.failureCacheHits),
            retryBudgetExhausted: load(events.retryBudgetExhausted),
            inFlightLimited: load(events.inFlightLimited),
            upstream: .init(requests: load(events.upstreamRequests), failures: load(events.upstreamFailures)),
            queriesPerSecond: daemon.rate.queriesPerSecond(total: total),
            cacheHitRatio: answeredFromCacheOrUpstream == 0 ? 0 : Double(hits) / Double(answeredFromCacheOrUpstream))
    }

    func upstreams() -> UpstreamsReport {
        UpstreamsReport(providers: daemon.upstream.status().map { provider in
            let servers = provider.servers.map { server in
                // A `tcp` connection has no handshake to count.
                let tls = server.transport == "tcp" ? nil : server.connection
                return UpstreamsReport.Server(
                    address: server.address, state: server.isUp ? .up : .down, srttMilliseconds: server.smoothedRTTMs,
                    consecutiveFailures: server.consecutiveFailures, lastError: server.lastError, requests: server.queries,
                    failures: server.failures, transport: server.transport, connectionsOpen: server.connection?.open,
                    tlsHandshakes: tls?.handshakes, tlsResumed: tls?.resumed, suspect: server.isSuspect)
            }
            return UpstreamsReport.Provider(name: provider.name, state: servers.contains { $0.state == .up } ? .up : .down, servers: servers)
        })
    }

    func metricsText() -> String { daemon.metrics.exposition(
        cacheEntryCount: daemon.cache.count, upstreams: daemon.upstream.status(), answersHeldCount: daemon.resolver.expireHolds()) }

    func cacheEntry(name: String, type: String) throws -> CacheEntryReport {
        guard let dnsName = try? DNSName(name) else { throw ControlBadRequest("not a valid DNS name: \(name)") }
        guard let dnsType = DNSType(mnemonic: type.isEmpty ? "A" : type) else { throw ControlBadRequest("unknown record type: \(type)") }
        let now = daemon.clock.nowMillis()
        var failure: CacheEntryReport.FailureEntry?
        for dnssecOK in [false, true] {
            let key = CacheKey(name: dnsName, type: dnsType, qclass: .in, dnssecOK: dnssecOK)
            if failure == nil, let entry = daemon.resolver.failures.blocking(key, now: now) {
                failure = .init(ttlRemainingSeconds: Int((entry.untilMillis - now + 999) / 1000), failures: entry.failures)
            }
        }
        for dnssecOK in [false, true] {
            let key = CacheKey(name: dnsName, type: dnsType, qclass: .in, dnssecOK: dnssecOK)
            let lookup = daemon.cache.peek(key, now: now)
            guard let hit = lookup.hit else { continue }
            var isStale = false
            if case .stale = lookup { isStale = true }
            let message = try? DNSMessage(parsing: hit.answer.bytes)
            let records = (message.map { $0.answers + $0.authorities } ?? []).map { record -> String in
                var aged = record
                aged.ttl = isStale ? 0 : (record.ttl > hit.elapsedSeconds ? record.ttl - hit.elapsedSeconds : 0)
                return aged.description
            }
            return CacheEntryReport(
                name: dnsName.description, type: dnsType.description, found: true, ttlRemainingSeconds: Int(hit.remainingSeconds),
                stale: isStale, rcode: hit.answer.rcode.description, records: records, failure: failure)
        }
        return .notFound(name: dnsName.description, type: dnsType.description, failure: failure)
    }

    func flushCache(name: String?) throws -> Int {
        guard let name, !name.isEmpty else {
            daemon.resolver.failures.flush()
            return daemon.cache.flush(name: nil)
        }
        guard let dnsName = try? DNSName(name) else { throw ControlBadRequest("not a valid DNS name: \(name)") }
        daemon.resolver.failures.flush(name: dnsName)  // a flushed name is asked upstream again
        return daemon.cache.flush(name: dnsName)
    }

    func reload() async -> ReloadReport {
        switch await daemon.reload(trigger: "control socket") {
        case .success: return .success
        case .failure(let failure): return .failure(failure.message)
        }
    }
}

/// The control server as a lifecycle service: started before READY, closed last.
struct ControlEndpoint: Service {
    let server: ControlServer

    static func start(daemon: Daemon, socketPath: String, metricsListen: HostPort?) async throws -> ControlEndpoint {
        var configuration = ControlServer.Configuration(socketPath: socketPath)
        configuration.metricsListen = metricsListen.map { ControlServer.ListenAddress(host: $0.host, port: Int($0.port)) }
        let server = ControlServer(
            configuration: configuration, backend: DaemonControlBackend(daemon: daemon), eventLoopGroup: daemon.group,
            logger: daemon.logger)
        try await server.start()
        return ControlEndpoint(server: server)
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.run()
        } onGracefulShutdown: {
            server.requestShutdown()
        }
    }
}
