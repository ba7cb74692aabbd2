// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A fault-injecting DNS server on 127.0.0.1 (UDP and TCP on one port 0-assigned port) whose
/// behaviour a test switches at runtime. It answers from records the test sets, counts the
/// queries it receives, keeps their question names exactly as received (case included) and
/// their source ports, and lets a test await "n queries received" as an event.
public final class FakeUpstream: Sendable {
    /// How the server treats the next queries.
    public enum Behaviour: Sendable, Equatable {
        /// Answer from the records; unknown names get NXDOMAIN with an SOA.
        case normal
        /// Sockets closed: UDP queries get ICMP port unreachable, TCP connections are refused.
        case closed
        /// Read every query, never answer.
        case blackhole
        /// Answer as `.normal`, after this long.
        case delay(Duration)
        case servfail
        case refused
        /// NXDOMAIN for every name.
        case nxdomain
        /// Answer as `.normal` but echo the question name in lower case (breaks 0x20).
        case wrongCase
        /// Over UDP: TC=1 with no records (clients retry over TCP); over TCP: as `.normal`.
        case truncate
    }

    private struct State {
        var behaviour: Behaviour
        /// Names at or under a suffix that get their own behaviour (a broken domain).
        var nameRules: [(suffix: DNSName, behaviour: Behaviour)] = []
        /// UDP loss: each query is dropped with this probability (seeded, so runs repeat).
        var udpLoss: (probability: Double, generator: SplitMix64)?
        /// Drop the first UDP query for each name: every name needs one resend.
        var dropFirstPerName = false
        var namesSeen: Set<DNSName> = []
        var dropped = 0
        var records: [DNSName: [DNSRecord]] = [:]
        var defaultIPv4: [UInt8]?
        var names: [DNSName] = []
        var ports: [Int] = []
        var tcpQueries = 0
        var waiters: [(id: UInt64, count: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextWaiter: UInt64 = 0
        var channels: [any Channel] = []
        /// While `.closed`: sockets that hold the port without serving it (see `reservePort`).
        var placeholders: [Int32] = []
    }

    private let state: Mutex<State>
    private let group: MultiThreadedEventLoopGroup
    /// The port, the same for UDP and TCP.
    public let port: Int
    /// "127.0.0.1:PORT".
    public var address: String { "127.0.0.1:\(port)" }

    /// Starts a server on 127.0.0.1 with a kernel-chosen port.
    public static func start(behaviour: Behaviour = .normal) async throws -> FakeUpstream {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var lastError: (any Error)?
        for _ in 0..<10 {
            let udp: any Channel
            do {
                udp = try await FakeUpstream.bindUDP(group: group, port: 0, core: nil)
            } catch {
                lastError = error
                continue
            }
            let port = udp.localAddress?.port ?? 0
            let fake = FakeUpstream(group: group, port: port, behaviour: behaviour)
            try? await udp.close()
            do {
                try await fake.open()
                if behaviour == .closed { try await fake.closeSockets() }
                return fake
            } catch {
                lastError = error
                try? await fake.closeSockets()
            }
        }
        try? await group.shutdownGracefully()
        throw lastError ?? ChannelError.ioOnClosedChannel
    }

    private init(group: MultiThreadedEventLoopGroup, port: Int, behaviour: Behaviour) {
        self.group = group
        self.port = port
        self.state = Mutex(State(behaviour: behaviour))
    }

    /// Switches behaviour; entering or leaving `.closed` closes or reopens the sockets (same port).
    public func setBehaviour(_ behaviour: Behaviour) async throws {
        let previous = state.withLock { state -> Behaviour in
            let previous = state.behaviour
            state.behaviour = behaviour
            return previous
        }
        if behaviour == .closed && previous != .closed { try await closeSockets() }
        if behaviour != .closed && previous == .closed { try await open() }
    }

    public var behaviour: Behaviour { state.withLock { $0.behaviour } }

    /// Names at or under `suffix` get `behaviour` whatever the server's own (a domain that is
    /// lame, DNSSEC-bogus or whose authoritative servers are unreachable).
    public func setBehaviour(_ behaviour: Behaviour, forNamesUnder suffix: DNSName) {
        state.withLock { $0.nameRules.append((suffix, behaviour)) }
    }

    /// Drops each UDP query with `probability` (a path that loses packets). Seeded: the same
    /// queries are lost on every run.
    public func setUDPLoss(_ probability: Double, seed: UInt64 = 1) {
        state.withLock { $0.udpLoss = probability > 0 ? (probability, SplitMix64(seed: seed)) : nil }
    }

    /// Drops the first UDP query for each distinct name (case-insensitive): every name is
    /// answered only if it is sent again.
    public func setDropFirstQueryPerName(_ enabled: Bool) {
        state.withLock { $0.dropFirstPerName = enabled }
    }

    /// Queries dropped by `setUDPLoss` or `setDropFirstQueryPerName` (received, counted, unanswered).
    public var droppedCount: Int { state.withLock { $0.dropped } }

    /// How many queries for `name` (case-insensitive) arrived.
    public func queryCount(for name: DNSName) -> Int {
        state.withLock { $0.names.filter { $0 == name }.count }
    }

    /// Replaces the records answered under `.normal` (matched by owner name and type).
    public func setRecords(_ records: [DNSRecord]) {
        state.withLock { $0.records = Dictionary(grouping: records, by: \.name) }
    }

    /// With an address set, A questions for names without records are answered with it (TTL 60).
    public func setDefaultIPv4(_ address: [UInt8]?) {
        state.withLock { $0.defaultIPv4 = address }
    }

    /// Queries received so far (UDP and TCP).
    public var queryCount: Int { state.withLock { $0.names.count } }
    /// Queries received over TCP.
    public var tcpQueryCount: Int { state.withLock { $0.tcpQueries } }
    /// Question names exactly as received, case kept, in arrival order.
    public var receivedNames: [DNSName] { state.withLock { $0.names } }
    /// Client source ports, in arrival order.
    public var sourcePorts: [Int] { state.withLock { $0.ports } }

    /// Waits until at least `count` queries have arrived in total; false after `timeout`.
    public func waitForQueries(_ count: Int, timeout: Duration = .seconds(5)) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id: UInt64? = state.withLock { state in
                guard state.names.count < count else { return nil }
                state.nextWaiter += 1
                state.waiters.append((state.nextWaiter, count, continuation))
                return state.nextWaiter
            }
            guard let id else { return continuation.resume(returning: true) }
            let (seconds, attoseconds) = timeout.components
            group.next().scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
                self.resumeWaiter(id: id)
            }
        }
    }

    private func resumeWaiter(id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        waiter?.resume(returning: false)
    }

    /// Closes the sockets and stops the event loop.
    public func shutdown() async {
        try? await closeSockets()
        releasePort()
        let waiters = state.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: false) }
        try? await group.shutdownGracefully()
    }

    // MARK: Sockets

    private func open() async throws {
        releasePort()
        let udp = try await Self.bindUDP(group: group, port: port, core: self)
        let tcp: any Channel
        do {
            tcp = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(FakeUpstreamTCPHandler(core: self))
                    }
                }
                .bind(host: "127.0.0.1", port: port).get()
        } catch {
            try? await udp.close()
            throw error
        }
        state.withLock { $0.channels = [udp, tcp] }
    }

    private func closeSockets() async throws {
        let channels = state.withLock { state in
            defer { state.channels.removeAll() }
            return state.channels
        }
        for channel in channels { try? await channel.close() }
        reservePort()
    }

    /// Keeps the port ours while `.closed`, so a fake started by a parallel test cannot bind
    /// it and answer in our place: a UDP socket connected to another peer (datagrams from
    /// anyone else match no socket, so the kernel still answers ICMP port unreachable) and a
    /// TCP socket bound but not listening (connections are refused with RST).
    private func reservePort() {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var peer = address
        peer.sin_addr.s_addr = inet_addr("127.0.0.2")
        peer.sin_port = in_port_t(UInt16(9)).bigEndian
        var held: [Int32] = []
        for type in [Int32(SOCK_DGRAM.rawValue), Int32(SOCK_STREAM.rawValue)] {
            let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0, type == Int32(SOCK_DGRAM.rawValue) {
                _ = withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            if bound == 0 { held.append(fd) } else { close(fd) }
        }
        state.withLock { $0.placeholders = held }
    }

    private func releasePort() {
        let held = state.withLock { state in
            defer { state.placeholders.removeAll() }
            return state.placeholders
        }
        for fd in held { close(fd) }
    }

    private static func bindUDP(group: MultiThreadedEventLoopGroup, port: Int, core: FakeUpstream?) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // A real server's room for bursts (nsd asks for 1 MiB); capped by net.core.rmem_max.
            .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let core { try channel.pipeline.syncOperations.addHandler(FakeUpstreamUDPHandler(core: core)) }
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    // MARK: Answering

    /// Records one query and returns the reply to send (nil: stay silent) and its delay.
    func handle(_ query: [UInt8], sourcePort: Int, overTCP: Bool) -> (reply: [UInt8], delay: Duration)? {
        guard let message = try? DNSMessage(parsing: query), !message.header.isResponse,
              let question = message.questions.first else { return nil }
        let (behaviour, records, defaultIPv4, satisfied) = state.withLock { state in
            state.names.append(question.name)
            state.ports.append(sourcePort)
            if overTCP { state.tcpQueries += 1 }
            let count = state.names.count
            var satisfied: [CheckedContinuation<Bool, Never>] = []
            state.waiters.removeAll { waiter in
                guard waiter.count <= count else { return false }
                satisfied.append(waiter.continuation)
                return true
            }
            var behaviour = state.behaviour
            if let rule = state.nameRules.last(where: { question.name.isSubdomain(of: $0.suffix) }) {
                behaviour = rule.behaviour
            }
            if !overTCP {
                var drop = false
                if state.dropFirstPerName, state.namesSeen.insert(question.name).inserted { drop = true }
                if var loss = state.udpLoss {
                    if Double(loss.generator.next() % 1_000_000) / 1_000_000 < loss.probability { drop = true }
                    state.udpLoss = loss
                }
                if drop {
                    state.dropped += 1
                    behaviour = .blackhole
                }
            }
            return (behaviour, state.records[question.name] ?? [], state.defaultIPv4, satisfied)
        }
        for continuation in satisfied { continuation.resume(returning: true) }

        var reply = DNSMessage(header: DNSHeader(id: message.header.id), questions: [question])
        reply.header.isResponse = true
        reply.header.recursionDesired = message.header.recursionDesired
        reply.header.recursionAvailable = true
        if message.edns != nil { reply.edns = EDNS() }
        var delay: Duration = .zero
        switch behaviour {
        case .closed, .blackhole:
            return nil
        case .servfail:
            reply.rcode = .serverFailure
        case .refused:
            reply.rcode = .refused
        case .nxdomain:
            Self.fillNXDomain(&reply, question: question)
        case .truncate where !overTCP:
            reply.header.truncated = true
        case .normal, .delay, .wrongCase, .truncate:
            if case .delay(let duration) = behaviour { delay = duration }
            var answers = records.filter { $0.type == question.type }
            if records.isEmpty, question.type == .a, let defaultIPv4 {
                answers = [DNSRecord(name: question.name, type: .a, ttl: 60, data: .a(defaultIPv4))]
            }
            if answers.isEmpty && records.isEmpty && !(question.type == .a && defaultIPv4 != nil) {
                Self.fillNXDomain(&reply, question: question)
            } else {
                reply.answers = answers.map { record in
                    var record = record
                    record.name = question.name
                    return record
                }
            }
            if behaviour == .wrongCase {
                reply.questions = [DNSQuestion(name: question.name.lowercased(), type: question.type, qclass: question.qclass)]
                reply.answers = reply.answers.map { record in
                    var record = record
                    record.name = record.name.lowercased()
                    return record
                }
            }
        }
        return (reply.serialize(), delay)
    }

    private static func fillNXDomain(_ reply: inout DNSMessage, question: DNSQuestion) {
        reply.rcode = .nxDomain
        let zone = question.name.parent() ?? .root
        let soa = SOAData(mname: zone, rname: zone, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60)
        reply.authorities = [DNSRecord(name: zone, type: .soa, ttl: 60, data: .soa(soa))]
    }
}

/// UDP side of `FakeUpstream`.
private final class FakeUpstreamUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let core: FakeUpstream

    init(core: FakeUpstream) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let query = Array(envelope.data.readableBytesView)
        guard let (reply, delay) = core.handle(query, sourcePort: envelope.remoteAddress.port ?? 0, overTCP: false) else {
            return
        }
        let out = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: reply))
        let channel = context.channel
        if delay == .zero {
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        } else {
            let (seconds, attoseconds) = delay.components
            channel.eventLoop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
                channel.writeAndFlush(out, promise: nil)
            }
        }
    }
}

/// TCP side of `FakeUpstream`: 2-byte length framing, several queries per connection.
private final class FakeUpstreamTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let core: FakeUpstream
    private var pending: ByteBuffer?

    init(core: FakeUpstream) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if pending == nil {
            pending = incoming
        } else {
            pending?.writeBuffer(&incoming)
        }
        let port = context.channel.remoteAddress?.port ?? 0
        while var buffer = pending, let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              buffer.readableBytes >= 2 + Int(length) {
            buffer.moveReaderIndex(forwardBy: 2)
            let query = buffer.readBytes(length: Int(length)) ?? []
            pending = buffer
            guard let (reply, delay) = core.handle(query, sourcePort: port, overTCP: true) else { continue }
            var out = context.channel.allocator.buffer(capacity: reply.count + 2)
            out.writeInteger(UInt16(reply.count))
            out.writeBytes(reply)
            let frame = out
            let channel = context.channel
            if delay == .zero {
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            } else {
                let (seconds, attoseconds) = delay.components
                channel.eventLoop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
                    channel.writeAndFlush(frame, promise: nil)
                }
            }
        }
    }
}

/// A small seeded generator (SplitMix64): injected loss and random test inputs repeat run to
/// run, so a failing run can be replayed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
