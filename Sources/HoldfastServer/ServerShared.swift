// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastResolver
import Logging
import NIOCore
import Synchronization

/// State every handler of one server shares: the resolver, the ACL (replaced on reload),
/// the TCP connection count and the queue of misses.
final class ServerShared: Sendable {
    let resolver: QueryResolver
    let logger: Logger
    private let acl: Mutex<ClientACL>
    private let limiter: Mutex<RateLimiter?>
    private let maxConnections: Atomic<Int>
    private let connections = Atomic<Int>(0)
    private let stopped = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init(resolver: QueryResolver, configuration: ServerConfiguration, logger: Logger) {
        self.resolver = resolver
        self.logger = logger
        self.acl = Mutex(configuration.acl)
        self.limiter = Mutex(configuration.rateLimitQPS > 0 ? RateLimiter(qps: configuration.rateLimitQPS, burst: configuration.rateLimitBurst) : nil)
        self.maxConnections = Atomic(configuration.tcpMaxConnections)
    }

    @inline(__always)
    func allows(_ client: ClientEndpoint) -> Bool {
        acl.withLock { $0.allows(client) }
    }

    /// False when the client is over its rate limit (always true when limiting is off).
    @inline(__always)
    func withinRateLimit(_ client: ClientEndpoint) -> Bool {
        guard let limiter = limiter.withLock({ $0 }) else { return true }
        return limiter.allow(client, nowNanos: monotonicNanoseconds())
    }

    func update(acl newACL: ClientACL, maxConnections newMax: Int, rateLimitQPS: Int, rateLimitBurst: Int) {
        acl.withLock { $0 = newACL }
        limiter.withLock { $0 = rateLimitQPS > 0 ? RateLimiter(qps: rateLimitQPS, burst: rateLimitBurst) : nil }
        maxConnections.store(newMax, ordering: .relaxed)
    }

    /// Counts a new TCP connection; false when over the cap (the caller closes it).
    func openConnection() -> Bool {
        let now = connections.wrappingAdd(1, ordering: .relaxed).newValue
        return now <= maxConnections.load(ordering: .relaxed)
    }

    func closeConnection() {
        connections.wrappingSubtract(1, ordering: .relaxed)
    }

    var openConnections: Int { connections.load(ordering: .relaxed) }

    /// Admission and the synchronous path in one place for both transports: clients outside
    /// the ACL get REFUSED, clients over their rate limit get a TC=1 stub over UDP (legitimate
    /// clients retry over TCP, a spoofed victim gets nothing larger than the query, as BIND's
    /// RRL "slip" does) or REFUSED over TCP; everyone else goes to the resolver.
    @inline(__always)
    func dispose(_ packet: UnsafeRawBufferPointer, transport: Transport, client: ClientEndpoint) -> QueryResolver.Disposition {
        guard allows(client) else {
            return resolver.refusal(for: packet, transport: transport).map { .raw($0) } ?? .drop
        }
        guard withinRateLimit(client) else {
            let answer = transport == .udp
                ? resolver.rateLimited(packet, transport: transport)
                : resolver.refusal(for: packet, transport: transport)
            return answer.map { .raw($0) } ?? .drop
        }
        return resolver.handle(packet, transport: transport, client: client)
    }

    /// Hands a miss to the resolver from the reading thread; `respond` runs on the thread that
    /// settles it (the upstream loop's), which writes the reply itself.
    @inline(__always)
    func submit(_ query: ClientQuery, respond: @escaping @Sendable (Reply) -> Void) {
        resolver.resolve(query, respond: respond)
    }

    /// Reading stopped: `waitUntilStopped` returns (the resolver's drain then waits for the
    /// fetches still in flight).
    func finishJobs() {
        let waiters = stopped.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = stopped.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
