// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastResolver
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The DNS front end: UDP (one SO_REUSEPORT socket and reading thread per event loop of the
/// group, see `UDPListener`) and TCP (NIO) listeners on every configured address, feeding one
/// `QueryResolver`. `run()` serves until `stopAccepting()`; misses are answered from the
/// upstream loop thread, and the daemon drains them through the resolver.
public final class DNSServer: Sendable {
    private let group: any EventLoopGroup
    private let shared: ServerShared
    private let configuration: Mutex<ServerConfiguration>
    private let channels = Mutex<(udp: [UDPListener], tcp: [any Channel])>(([], []))

    public init(configuration: ServerConfiguration, resolver: QueryResolver, group: any EventLoopGroup, logger: Logger) {
        self.group = group
        self.configuration = Mutex(configuration)
        self.shared = ServerShared(resolver: resolver, configuration: configuration, logger: logger)
    }

    /// Binds every listener (or adopts inherited sockets). Throws if any address cannot be bound.
    public func bind(inheritedUDP: [CInt] = [], inheritedTCP: [CInt] = []) async throws {
        let config = configuration.withLock { $0 }
        var udp: [UDPListener] = []
        var tcp: [any Channel] = []
        do {
            if inheritedUDP.isEmpty && inheritedTCP.isEmpty {
                let threads = Array(group.makeIterator()).count
                for configured in config.listen {
                    var address = configured
                    for _ in 0..<max(threads, 1) {
                        let listener = try UDPListener(binding: address)
                        udp.append(listener)
                        // Port 0 asks for any port: the other sockets (and TCP) take the same one.
                        if address.port == 0, let bound = listener.localAddress { address = bound }
                    }
                    tcp.append(try await makeTCPBootstrap(config).bind(to: address).get())
                }
            } else {
                for descriptor in inheritedUDP {
                    udp.append(try UDPListener(adopting: descriptor))
                }
                for descriptor in inheritedTCP {
                    tcp.append(try await makeTCPBootstrap(config).withBoundSocket(descriptor).get())
                }
            }
            for listener in udp { try listener.start(shared: shared) }
        } catch {
            for listener in udp { listener.close() }
            for channel in tcp { try? await channel.close() }
            throw error
        }
        channels.withLock {
            $0.udp.append(contentsOf: udp)
            $0.tcp.append(contentsOf: tcp)
        }
    }

    /// The local addresses actually bound (ports resolved when 0 was asked for).
    public var boundAddresses: [(transport: Transport, address: SocketAddress)] {
        channels.withLock { channels in
            channels.udp.compactMap { listener in listener.localAddress.map { (Transport.udp, $0) } }
                + channels.tcp.compactMap { channel in channel.localAddress.map { (Transport.tcp, $0) } }
        }
    }

    private func makeTCPBootstrap(_ config: ServerConfiguration) -> ServerBootstrap {
        let idle = config.tcpIdleTimeout
        return ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [shared] channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
                    try operations.addHandler(TCPQueryHandler(shared: shared, idleTimeout: idle))
                }
            }
    }

    /// Moves the listeners to new addresses (reload): binds the new set first, then closes
    /// the old sockets, so a failed bind leaves the old listeners serving.
    public func rebind(to listen: [SocketAddress]) async throws {
        let old = channels.withLock { channels -> (udp: [UDPListener], tcp: [any Channel]) in
            defer { channels = ([], []) }
            return channels
        }
        configuration.withLock { $0.listen = listen }
        do {
            try await bind()
        } catch {
            channels.withLock { $0 = old }
            throw error
        }
        for listener in old.udp { listener.close() }
        for channel in old.tcp { try? await channel.close() }
    }

    /// Applies a reloaded ACL, TCP cap and rate limit (listen addresses need a restart or a re-bind).
    public func update(acl: ClientACL, tcpMaxConnections: Int, rateLimitQPS: Int = 0, rateLimitBurst: Int = 0) {
        configuration.withLock {
            $0.acl = acl
            $0.tcpMaxConnections = tcpMaxConnections
            $0.rateLimitQPS = rateLimitQPS
            $0.rateLimitBurst = rateLimitBurst
        }
        shared.update(acl: acl, maxConnections: tcpMaxConnections, rateLimitQPS: rateLimitQPS, rateLimitBurst: rateLimitBurst)
    }

    /// Serves until `stopAccepting()`. Misses are handed to the resolver by the reading threads
    /// and answered from the upstream loop thread; the caller drains them with
    /// `QueryResolver.drain(timeout:)` after this returns.
    public func run() async {
        await shared.waitUntilStopped()
    }

    /// Stops reading new queries and closes the TCP listeners; `run()` then drains and returns.
    public func stopAccepting() async {
        let current = channels.withLock { channels -> (udp: [UDPListener], tcp: [any Channel]) in
            defer { channels.tcp.removeAll() }
            return channels
        }
        for channel in current.tcp { try? await channel.close() }
        for listener in current.udp { listener.stopReading() }
        shared.finishJobs()
    }

    /// Closes every socket (after `run()` returned).
    public func close() async {
        let current = channels.withLock { channels -> (udp: [UDPListener], tcp: [any Channel]) in
            defer { channels = ([], []) }
            return channels
        }
        for listener in current.udp { listener.close() }
        for channel in current.tcp { try? await channel.close() }
    }

    /// False when a UDP reading thread is stuck: datagrams have waited on its socket since the
    /// previous call and none was read (see `UDPListener.isStalled`). Call it periodically.
    public func udpReadersKeepUp() -> Bool {
        let listeners = channels.withLock { $0.udp }
        return listeners.allSatisfy { !$0.isStalled() }
    }

    /// Open TCP client connections.
    public var openTCPConnections: Int { shared.openConnections }
}

