// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The daemon's control endpoint: HTTP/1.1 on a Unix socket (and optionally `/metrics` and
/// `/health` on TCP). Owns its listening channels and the socket file.
///
/// Use `start()` then `shutdown()`, or `run()`, which starts, waits until `shutdown()`,
/// `requestShutdown()` or task cancellation, and cleans up (fits a ServiceLifecycle `Service`).
public final class ControlServer: Sendable {
    private enum State {
        case idle
        case starting
        case running(listeners: [any Channel], identity: UnixSocketFile.Identity?)
        case stopped
    }

    private let configuration: Configuration
    private let backend: any ControlBackend
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State.idle)
    private let connections: ConnectionCounter
    /// Set once shutdown ran; `run()` callers waiting for it.
    private let stopped = Mutex((done: false, waiters: [CheckedContinuation<Void, Never>]()))

    public init(
        configuration: Configuration,
        backend: any ControlBackend,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "holdfast.control")
    ) {
        self.configuration = configuration
        self.backend = backend
        self.group = eventLoopGroup
        self.logger = logger
        self.connections = ConnectionCounter(limit: configuration.maxConnections)
    }

    /// Binds the Unix socket (and the TCP listener if configured). When it returns, clients can connect.
    /// Throws ``ControlServerError`` if another daemon listens on the socket or a bind fails.
    public func start() async throws {
        try state.withLock { state in
            guard case .idle = state else { throw ControlServerError(code: .system, path: configuration.socketPath, detail: "already started") }
            state = .starting
        }
        var listeners: [any Channel] = []
        do {
            let path = configuration.socketPath
            try UnixSocketFile.prepare(path: path)
            let unix = try await bootstrap(routes: .all).bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
            listeners.append(unix)
            try UnixSocketFile.setMode(path: path, mode: mode_t(configuration.socketMode))
            let identity = UnixSocketFile.identity(path: path)
            if let address = configuration.metricsListen {
                do {
                    // SO_REUSEPORT: a second daemon on the same addresses (the rolling update's surge
                    // pod, a handover) shares the port instead of failing to start; a scrape
                    // reaches one of them.
                    let tcp = bootstrap(routes: .metricsAndHealth).serverChannelOption(ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SocketOptionName(SO_REUSEPORT)), value: 1)
                    listeners.append(try await tcp.bind(host: address.host, port: address.port).get())
                } catch {
                    throw ControlServerError(code: .system, path: address.description, detail: "cannot listen: \(error)")
                }
            }
            let ready = listeners
            state.withLock { $0 = .running(listeners: ready, identity: identity) }
            logger.info("control socket listening", metadata: [
                "socket": "\(path)", "metrics_listen": "\(configuration.metricsListen?.description ?? "off")",
            ])
        } catch {
            for channel in listeners { try? await channel.close() }
            if listeners.count > 0 { unlink(configuration.socketPath) }
            state.withLock { $0 = .idle }
            if let error = error as? ControlServerError { throw error }
            throw ControlServerError(code: .system, path: configuration.socketPath, detail: "\(error)")
        }
    }

    /// The TCP metrics listener's bound address (useful with port 0), nil if none.
    public var metricsLocalAddress: SocketAddress? {
        state.withLock { state in
            guard case .running(let listeners, _) = state, listeners.count > 1 else { return nil }
            return listeners[1].localAddress
        }
    }

    /// Starts (unless already started), then waits until shutdown or cancellation.
    public func run() async throws {
        if state.withLock({ if case .idle = $0 { return true } else { return false } }) {
            try await start()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let alreadyStopped = stopped.withLock { state in
                    if !state.done { state.waiters.append(continuation) }
                    return state.done
                }
                if alreadyStopped { continuation.resume() }
            }
        } onCancel: {
            requestShutdown()
        }
        await shutdown()
    }

    /// Starts closing without waiting (safe from any context, e.g. a graceful-shutdown handler).
    public func requestShutdown() {
        Task { await shutdown() }
    }

    /// Closes the listeners, removes the socket file if it is still ours. Idempotent.
    public func shutdown() async {
        let previous = state.withLock { state -> State in
            let previous = state
            state = .stopped
            return previous
        }
        if case .running(let listeners, let identity) = previous {
            for channel in listeners { try? await channel.close() }
            UnixSocketFile.removeIfOurs(path: configuration.socketPath, identity: identity)
            logger.info("control socket closed", metadata: ["socket": "\(configuration.socketPath)"])
        }
        let waiters = stopped.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func bootstrap(routes: ControlRouteSet) -> ServerBootstrap {
        let router = ControlRouter(backend: backend, routes: routes)
        let connections = self.connections
        let maxBytes = configuration.maxRequestBytes
        let timeout = configuration.requestTimeout
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard connections.acquire() else {
                    // The child is not registered yet: close it once it is active.
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(CloseOnActiveHandler())
                    }
                }
                channel.closeFuture.whenComplete { _ in connections.release() }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ConnectionGuardHandler(maxRequestBytes: maxBytes, requestTimeout: timeout))
                    try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try sync.addHandler(HTTPResponseEncoder())
                    try sync.addHandler(HTTPServerProtocolErrorHandler())
                    try sync.addHandler(ControlHTTPHandler(router: router))
                }
            }
    }
}

/// Counts open control connections against a cap, across listeners.
final class ConnectionCounter: Sendable {
    private let open = Atomic<Int>(0)
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func acquire() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        if now > limit {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }
}

/// Closes a connection as soon as it is active: used for connections over the cap.
final class CloseOnActiveHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
