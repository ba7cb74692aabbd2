// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Logging

/// The upstream layer's front door: owns the c-ares loop thread, one channel per server,
/// server health and RTT, and answers questions by policy (failover, fastest, race) with
/// hedging, routes, 0x20 and source-port rotation.
public final class UpstreamPool: Sendable {
    private let loop: CAresEventLoop
    private let engine: UpstreamEngine
    private let board: StatusBoard

    public init(configuration: UpstreamConfiguration, logger: Logger, observer: (any UpstreamObserver)?) throws {
        for provider in configuration.providers {
            for server in provider.servers where SocketAddressBytes(host: server.host, port: server.port) == nil {
                throw UpstreamConfigurationError(description: "provider \(provider.name): \(server.host) is not an IP address")
            }
        }
        let loop = try CAresEventLoop()
        let board = StatusBoard(routes: RouteTable(configuration))
        let engine = UpstreamEngine(configuration: configuration, loop: loop, logger: logger, observer: observer, board: board)
        board.publish(engine.currentStatus(), routes: engine.routes)
        self.loop = loop
        self.board = board
        self.engine = engine
    }

    deinit {
        shutdown()
    }

    /// Answers one question upstream; `completion` runs once, on the c-ares loop thread (or on
    /// the caller's, at once, when every eligible server is known to be down, `.allDown`, or the
    /// pool is shut down). Keep it short: it runs where every reply is read. `onAllDown` fires
    /// (once, on the loop thread) when no eligible server is healthy — every one down or
    /// suspect — at the start or while this question waits; the question keeps going. One wake
    /// of the loop thread per question, no `Task`.
    /// `excludingProvider`: ask the eligible providers but that one (the collapse guard's
    /// confirming question); when there is no other, `.failed(.noServers)`.
    public func start(_ question: DNSQuestion, dnssecOK: Bool, excludingProvider: String? = nil, onAllDown: (@Sendable () -> Void)? = nil,
                      completion: @escaping @Sendable (UpstreamResult) -> Void) {
        if excludingProvider == nil, board.isKnownDown(for: question.name) { return completion(.allDown) }
        let engine = self.engine
        let accepted = loop.execute {
            engine.start(question, dnssecOK: dnssecOK, excludingProvider: excludingProvider, onAllDown: onAllDown, completion: completion)
        }
        if !accepted { completion(.failed(.cancelled)) }
    }

    /// `start` for async callers (tests, tools).
    public func resolve(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)? = nil) async -> UpstreamResult {
        await withCheckedContinuation { continuation in
            start(question, dnssecOK: dnssecOK, onAllDown: onAllDown) { continuation.resume(returning: $0) }
        }
    }

    /// Runs `action` on the loop thread after `delay` (the resolver's client-timeout deadlines
    /// live on the same timer heap as RTOs and hedges). Dropped if the pool shuts down first.
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        let loop = self.loop
        _ = loop.execute { _ = loop.schedule(after: delay, action) }
    }

    /// Cheap: true when every eligible server for `name` is down.
    public func isKnownDown(for name: DNSName) -> Bool { board.isKnownDown(for: name) }

    /// Cheap: true when every eligible server for `name` is down or suspect.
    public func hasNoHealthyServer(for name: DNSName) -> Bool { board.hasNoHealthyServer(for: name) }

    /// `handler` runs (on the loop thread) each time a server marked down comes back.
    public func onServerRecovered(_ handler: @escaping @Sendable () -> Void) {
        let engine = self.engine
        _ = loop.execute { engine.onServerRecovered = handler }
    }

    /// Providers → servers: address, state, smoothed RTT, failures, last error, counters.
    public func status() -> [ProviderStatus] { board.providers }

    /// SIGHUP reload: servers that remain keep their health; questions in flight finish.
    public func reconfigure(_ configuration: UpstreamConfiguration) {
        let engine = self.engine
        loop.execute { engine.reconfigure(configuration) }
    }

    /// Like `reconfigure`, but returns once the new configuration is in effect on the loop
    /// thread and `status()` shows it, so a reload that reports success is visible at once.
    public func reconfigureAndWait(_ configuration: UpstreamConfiguration) async {
        let engine = self.engine
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let accepted = loop.execute {
                engine.reconfigure(configuration)
                continuation.resume()
            }
            if !accepted { continuation.resume() }  // shutting down: nothing left to apply
        }
    }

    /// Returns once the loop thread has run everything queued before this call (tests).
    func loopBarrier() async {
        let loop = self.loop
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !loop.execute({ continuation.resume() }) { continuation.resume() }
        }
    }

    /// Channels not yet destroyed (current and retired), how many of them are retired with
    /// nothing in flight (which should have been destroyed), and `probe`'s answer, all taken
    /// at one moment on the loop thread (tests).
    func channelCensus(probe: @escaping @Sendable () -> Int) async -> (live: Int, retiredIdle: Int, probe: Int) {
        let loop = self.loop
        typealias Census = (live: Int, retiredIdle: Int, probe: Int)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Census, Never>) in
            let accepted = loop.execute {
                let channels = loop.registeredChannels
                continuation.resume(returning: (channels.count, channels.filter { $0.isRetired && $0.pending == 0 }.count, probe()))
            }
            if !accepted { continuation.resume(returning: (0, 0, probe())) }
        }
    }

    /// Stops the loop thread: fails waiting questions, cancels and destroys every channel.
    /// Idempotent; call from outside the c-ares thread.
    public func shutdown() {
        let engine = self.engine
        let loop = self.loop
        loop.shutdown { engine.shutdown(channels: loop.registeredChannels) }
    }
}

/// A configuration the pool cannot use (e.g. a server that is not an IP address).
public struct UpstreamConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
