// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastResolver
import NIOCore

/// One TCP connection (RFC 7766): 2-byte length framing, several queries answered as they
/// complete (possibly out of order), closed once it has gone `idleTimeout` without a complete
/// query while nothing is pending. Only whole frames count as activity, so a client dripping
/// bytes of a frame it never finishes loses its slot like an idle one.
final class TCPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let shared: ServerShared
    private let idleTimeout: TimeAmount
    private var outstanding = 0
    private var needsFlush = false
    private var counted = false
    private var lastActivity = NIODeadline.now()
    private var idleCheck: RepeatedTask?

    init(shared: ServerShared, idleTimeout: TimeAmount) {
        self.shared = shared
        self.idleTimeout = idleTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        counted = true
        if !shared.openConnection() {
            shared.logger.debug("TCP connection cap reached; closing new connection")
            context.close(promise: nil)
            return
        }
        lastActivity = .now()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let period = TimeAmount.nanoseconds(max(idleTimeout.nanoseconds / 4, 1_000_000))
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            handler.value.closeIfIdle(context: boundContext.value)
        }
        context.fireChannelActive()
    }

    private func closeIfIdle(context: ChannelHandlerContext) {
        guard outstanding == 0, NIODeadline.now() - lastActivity >= idleTimeout else { return }
        idleCheck?.cancel()
        idleCheck = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        if counted {
            counted = false
            shared.closeConnection()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastActivity = .now()
        guard let remote = context.channel.remoteAddress else { return }
        let client = ClientEndpoint(remote)
        let disposition = frame.withUnsafeReadableBytes { shared.dispose($0, transport: .tcp, client: client) }
        switch disposition {
        case .drop:
            return
        case .raw(let bytes):
            write(bytes, context: context)
        case .answer(let query, let reply):
            context.write(wrapOutboundOut(Self.frame(reply, for: query, allocator: context.channel.allocator)), promise: nil)
            needsFlush = true
        case .resolve(let query):
            outstanding += 1
            let channel = context.channel
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            shared.submit(query) { reply in
                let buffer = Self.frame(reply, for: query, allocator: channel.allocator)
                channel.eventLoop.execute {
                    loopBound.value.outstanding -= 1
                    loopBound.value.lastActivity = .now()
                    channel.writeAndFlush(buffer, promise: nil)
                }
            }
        }
    }

    private static func frame(_ reply: Reply, for query: ClientQuery, allocator: ByteBufferAllocator) -> ByteBuffer {
        let maximum = reply.maximumSize(for: query)
        var buffer = allocator.buffer(capacity: maximum + 2)
        buffer.writeInteger(UInt16(0))
        let written = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum) { reply.write(into: $0, for: query) }
        buffer.setInteger(UInt16(truncatingIfNeeded: written), at: buffer.readerIndex)
        return buffer
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count + 2)
        buffer.writeInteger(UInt16(truncatingIfNeeded: bytes.count))
        buffer.writeBytes(bytes)
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        shared.logger.debug("TCP connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
