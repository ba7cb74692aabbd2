// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Glibc
import HoldfastCache
import HoldfastResolver
import HoldfastUpstream
import Logging
import NIOCore
import NIOEmbedded
import NIOExtras
import NetAddress
import Synchronization
import Testing

@testable import HoldfastServer

/// The TCP connection handler (RFC 7766) on embedded channels, with the production framing in
/// front of it: answers are framed, pipelined queries are answered and flushed once per read,
/// misses are answered as they complete (out of order), REFUSED outside the ACL, the
/// connection cap, and idle connections (and clients dripping a frame) are closed.
@Suite("TCP query handler")
struct TCPQueryHandlerTests {
    static let local = "router.lan"
    static let localAddress: [UInt8] = [192, 168, 1, 1]
    static let upstreamAddress: [UInt8] = [192, 0, 2, 1]

    /// An upstream answering every A question with `upstreamAddress`; questions whose first
    /// label is "slow" only after 300 ms.
    final class PacedUpstream: UpstreamResolving {
        func start(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?,
                   completion: @escaping @Sendable (UpstreamResult) -> Void) {
            Task { completion(await resolve(question)) }
        }

        func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
            Task {
                try? await Task.sleep(for: delay)
                action()
            }
        }

        private func resolve(_ question: DNSQuestion) async -> UpstreamResult {
            if question.name.labels.first.map({ Array($0) }) == Array("slow".utf8) {
                try? await Task.sleep(for: .milliseconds(300))
            }
            var header = DNSHeader(id: 7)
            header.isResponse = true
            header.recursionDesired = true
            header.recursionAvailable = true
            let answer = DNSRecord(name: question.name, type: .a, ttl: 60, data: .a(TCPQueryHandlerTests.upstreamAddress))
            return .answer(
                reply: DNSMessage(header: header, questions: [question], answers: [answer]).serialize(),
                provider: "paced", server: "127.0.0.1:53")
        }

        func isKnownDown(for name: DNSName) -> Bool { false }
    }

    /// The state one server's handlers share, with a local record and a paced upstream.
    static func shared(allow: [String] = ["127.0.0.0/8"], maxConnections: Int = 100) throws -> ServerShared {
        let cache = DNSCache(configuration: CacheConfiguration(
            maxEntries: 100, minTTLSeconds: 0, maxTTLSeconds: 86_400, negativeMaxTTLSeconds: 3_600, prefetch: false,
            staleEnabled: false, staleMaxAgeSeconds: 0))
        let record = DNSRecord(name: try DNSName(local), type: .a, ttl: 300, data: .a(localAddress))
        let resolver = QueryResolver(
            configuration: ResolverConfiguration(prefetch: false, localZone: LocalZone(records: [record])),
            cache: cache, upstream: PacedUpstream(), logger: Logger(label: "tcp-test"))
        return ServerShared(
            resolver: resolver,
            configuration: ServerConfiguration(
                listen: [], acl: ClientACL(try IPPrefixList(parsing: allow)), tcpMaxConnections: maxConnections),
            logger: Logger(label: "tcp-test"))
    }

    /// A connected channel from `client` with the server's pipeline: length-field framing,
    /// then the handler.
    static func channel(_ shared: ServerShared, idle: TimeAmount = .seconds(10), client: String = "127.0.0.1") throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let remote = try SocketAddress(ipAddress: client, port: 5300)
        channel.remoteAddress = remote
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
        try channel.pipeline.syncOperations.addHandler(TCPQueryHandler(shared: shared, idleTimeout: idle))
        try channel.connect(to: remote).wait()
        return channel
    }

    static func query(_ name: String, id: UInt16) throws -> [UInt8] {
        DNSMessage.makeQuery(id: id, question: DNSQuestion(name: try DNSName(name), type: .a), udpPayloadSize: nil)
    }

    /// `messages` as one TCP segment: each with its 2-byte length.
    static func segment(_ messages: [[UInt8]]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for message in messages {
            buffer.writeInteger(UInt16(message.count))
            buffer.writeBytes(message)
        }
        return buffer
    }

    /// Every frame written so far, unframed and parsed; fails on a frame whose length is wrong.
    static func replies(_ channel: EmbeddedChannel) throws -> [DNSMessage] {
        var messages: [DNSMessage] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            messages.append(try unframe(&buffer))
        }
        return messages
    }

    static func unframe(_ buffer: inout ByteBuffer) throws -> DNSMessage {
        let length = buffer.readInteger(as: UInt16.self)
        let bytes = buffer.readBytes(length: Int(length ?? 0))
        #expect(length != nil && bytes != nil, "a whole frame")
        #expect(buffer.readableBytes == 0, "a frame holds one message")
        return try DNSMessage(parsing: bytes ?? [])
    }

    @Test func aLocalAnswerIsFramed() throws {
        let shared = try Self.shared()
        let channel = try Self.channel(shared)
        try channel.writeInbound(Self.segment([try Self.query(Self.local, id: 0x4242)]))
        let replies = try Self.replies(channel)
        #expect(replies.count == 1)
        #expect(replies.first?.header.id == 0x4242)
        #expect(replies.first?.rcode == .noError)
        #expect(replies.first?.answers.map(\.data) == [.a(Self.localAddress)])
        _ = try channel.finish()
    }

    /// Two whole queries and the start of a third in one segment: two answers, in order; the
    /// third once its last bytes arrive.
    @Test func pipelinedQueriesAreAnsweredInOrderAndAPartialFrameWaits() throws {
        let shared = try Self.shared()
        let channel = try Self.channel(shared)
        let third = try Self.query(Self.local, id: 3)
        var segment = Self.segment([try Self.query(Self.local, id: 1), try Self.query(Self.local, id: 2)])
        segment.writeInteger(UInt16(third.count))
        segment.writeBytes(third.prefix(5))
        try channel.writeInbound(segment)
        #expect(try Self.replies(channel).map(\.header.id) == [1, 2])
        try channel.writeInbound(ByteBuffer(bytes: third.dropFirst(5)))
        #expect(try Self.replies(channel).map(\.header.id) == [3])
        _ = try channel.finish()
    }

    /// Answers known at once are written as they come and flushed once, when the read ends.
    @Test func answersAreFlushedWhenTheReadCompletes() throws {
        let shared = try Self.shared()
        let channel = try Self.channel(shared)
        channel.pipeline.fireChannelRead(Self.segment([try Self.query(Self.local, id: 1), try Self.query(Self.local, id: 2)]))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.pipeline.fireChannelReadComplete()
        #expect(try Self.replies(channel).map(\.header.id) == [1, 2])
        _ = try channel.finish()
    }

    @Test func aClientOutsideTheACLIsRefused() throws {
        let shared = try Self.shared(allow: ["10.0.0.0/8"])
        let channel = try Self.channel(shared)
        try channel.writeInbound(Self.segment([try Self.query(Self.local, id: 9)]))
        let replies = try Self.replies(channel)
        #expect(replies.map(\.rcode) == [.refused])
        #expect(replies.first?.header.id == 9)
        #expect(replies.first?.answers.isEmpty == true)
        _ = try channel.finish()
    }

    /// Beyond `tcp_max_connections` a new connection is closed at once; closing one frees
    /// its slot.
    @Test func connectionsBeyondTheCapAreClosed() throws {
        let shared = try Self.shared(maxConnections: 1)
        let first = try Self.channel(shared)
        #expect(first.isActive)
        let second = try Self.channel(shared)
        #expect(!second.isActive)
        #expect(shared.openConnections == 1)
        _ = try first.finish()
        #expect(shared.openConnections == 0)
        let third = try Self.channel(shared)
        #expect(third.isActive)
        _ = try third.finish()
    }

    /// A connection with no complete query for the idle timeout is closed; so is one whose
    /// client sends part of a frame and stops (only whole frames count as activity).
    @Test(arguments: [false, true])
    func idleConnectionsAreClosed(dripping: Bool) throws {
        let shared = try Self.shared()
        let channel = try Self.channel(shared, idle: .milliseconds(200))
        try channel.writeInbound(Self.segment([try Self.query(Self.local, id: 1)]))
        #expect(try Self.replies(channel).count == 1)
        if dripping { try channel.writeInbound(ByteBuffer(bytes: [0, 30, 0x12])) }
        // Just after a query: the check (every idle/4 on the loop's clock) leaves it open.
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(60))
        #expect(channel.isActive)
        // The handler measures idleness by the monotonic clock; the loop's time fires the checks.
        usleep(250_000)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(60))
        #expect(!channel.isActive)
        #expect(shared.openConnections == 0)
    }

    /// Misses go to the resolver and are answered as each completes: a slow question sent
    /// first is answered after a quick one sent behind it, and the connection is not idle
    /// while one is outstanding.
    @Test func missesAreAnsweredAsTheyCompleteAndKeepTheConnectionOpen() async throws {
        let shared = try Self.shared()
        let channel = NIOAsyncTestingChannel()
        let remote = try SocketAddress(ipAddress: "127.0.0.1", port: 5300)
        channel.remoteAddress = remote
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandler(TCPQueryHandler(shared: shared, idleTimeout: .milliseconds(100)))
        }
        try await channel.connect(to: remote).get()
        // Misses go straight to the resolver (ServerShared.submit); answers come back on
        // whichever thread settles them, and the handler hops onto its event loop to write.
        try await channel.writeInbound(ByteBuffer(bytes: try Self.query("slow.example.test", id: 1)))
        try await channel.writeInbound(ByteBuffer(bytes: try Self.query("quick.example.test", id: 2)))
        var first = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        // 150 ms on the loop's clock and in real time: past the idle timeout, but the slow
        // question is outstanding.
        try await Task.sleep(for: .milliseconds(150))
        await channel.testingEventLoop.advanceTime(by: .milliseconds(150))
        #expect(channel.isActive)
        var second = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        let quick = try Self.unframe(&first)
        let slow = try Self.unframe(&second)
        #expect(quick.header.id == 2 && slow.header.id == 1)
        #expect(quick.answers.map(\.data) == [.a(Self.upstreamAddress)])
        #expect(slow.answers.map(\.data) == [.a(Self.upstreamAddress)])
        _ = try await channel.finish()
    }
}
