import HoldfastResolver
import NIOCore

/// Reads UDP queries on one event loop, answers what it can synchronously (cache hits,
/// local names, errors) and hands misses to the resolution queue. One flush per read burst.
final class UDPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let shared: ServerShared
    private var needsFlush = false

    init(shared: ServerShared) {
        self.shared = shared
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let client = ClientEndpoint(envelope.remoteAddress)
        let disposition = envelope.data.withUnsafeReadableBytes { packet in
            shared.dispose(packet, transport: .udp, client: client)
        }
        switch disposition {
        case .drop:
            return
        case .raw(let bytes):
            write(bytes, to: envelope.remoteAddress, context: context)
        case .answer(let query, let reply):
            var buffer = context.channel.allocator.buffer(capacity: reply.maximumSize(for: query))
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: reply.maximumSize(for: query)) { output in
                reply.write(into: output, for: query)
            }
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
            needsFlush = true
        case .resolve(let query):
            let channel = context.channel
            let remote = envelope.remoteAddress
            shared.submit(query) { reply in
                var buffer = channel.allocator.buffer(capacity: reply.maximumSize(for: query))
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: reply.maximumSize(for: query)) { output in
                    reply.write(into: output, for: query)
                }
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            }
        }
    }

    private func write(_ bytes: [UInt8], to remote: SocketAddress, context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: buffer)), promise: nil)
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
        // ICMP errors surface as read errors on UDP sockets; they must not close the listener.
        shared.logger.debug("UDP socket error", metadata: ["error": "\(error)"])
    }
}
