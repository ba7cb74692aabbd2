// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import NIOCore

/// Sits first in each control connection's pipeline and bounds what one client can hold:
/// at most `maxRequestBytes` read (more gets a 431 and a close) and at most `requestTimeout`
/// from accept to the first byte of the answer (then the connection is closed).
final class ConnectionGuardHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxRequestBytes: Int
    private let requestTimeout: TimeAmount
    private var bytesRead = 0
    private var rejected = false
    private var deadline: Scheduled<Void>?

    init(maxRequestBytes: Int, requestTimeout: TimeAmount) {
        self.maxRequestBytes = maxRequestBytes
        self.requestTimeout = requestTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: requestTimeout) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !rejected else { return }
        let buffer = unwrapInboundIn(data)
        bytesRead += buffer.readableBytes
        guard bytesRead <= maxRequestBytes else {
            rejected = true
            deadline?.cancel()
            let answer = "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            let out = context.channel.allocator.buffer(string: answer)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The answer has started: the client finished its request in time.
        deadline?.cancel()
        deadline = nil
        guard !rejected else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }
}
