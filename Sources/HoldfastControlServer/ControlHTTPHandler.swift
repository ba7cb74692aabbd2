// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import FoundationEssentials
import HoldfastControlModels
import NIOCore
import NIOHTTP1

/// Reads one HTTP request, asks the router, writes the answer and closes the connection.
/// One request per connection (`connection: close`) keeps the state trivial.
final class ControlHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: ControlRouter
    private var head: HTTPRequestHead?
    private var answered = false

    init(router: ControlRouter) {
        self.router = router
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
        case .body:
            break  // No endpoint takes a body; the guard handler bounds its size.
        case .end:
            guard let requestHead = head, !answered else { return }
            answered = true
            respond(to: requestHead, context: context)
        }
    }

    private func respond(to requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let request = ControlRequest(method: requestHead.method, uri: requestHead.uri) else {
            write(.error(.badRequest, "malformed request target"), version: requestHead.version, context: context)
            return
        }
        switch router.route(request) {
        case .now(let response):
            write(response, version: requestHead.version, context: context)
        case .later(let work):
            let promise = context.eventLoop.makePromise(of: ControlResponse.self)
            promise.completeWithTask(work)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let version = requestHead.version
            promise.futureResult.whenSuccess { response in
                let (handler, context) = bound.value
                handler.write(response, version: version, context: context)
            }
        }
    }

    private func write(_ response: ControlResponse, version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        headers.add(name: "content-length", value: String(response.body.count))
        headers.add(name: "connection", value: "close")
        if !response.allow.isEmpty {
            headers.add(name: "allow", value: response.allow.map(\.rawValue).joined(separator: ", "))
        }
        let responseVersion = version.major == 1 ? version : .http1_1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: responseVersion, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
