import DeferredKit
import DeferredKitNIO
import NIOCore
import NIOHTTP1

// MARK: - ValueHandler

/// Answers `GET /value/<key>` with the service's value for the key (504 on a timeout, 500 on another
/// error, 404 for any other path). HTTP/1 keep-alive; one request at a time per connection.
final class ValueHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let service: ValueService
    private var head: HTTPRequestHead?

    init(service: ValueService) {
        self.service = service
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let prefix = "/value/"
        guard head.uri.hasPrefix(prefix) else {
            write(.notFound, "no such path\n", keepAlive: head.isKeepAlive, context: context)
            return
        }
        let key = String(head.uri.dropFirst(prefix.count))
        // Deferred -> EventLoopFuture on this channel's loop: completes here without a hop when the
        // value is already known (a cache hit), and hops here when the backend finished elsewhere.
        service.value(for: key).future(on: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let value):
                self.write(.ok, value + "\n", keepAlive: head.isKeepAlive, context: context)
            case .failure(let error as DeferredTimeoutError):
                self.write(.gatewayTimeout, "\(error)\n", keepAlive: head.isKeepAlive, context: context)
            case .failure(let error):
                self.write(.internalServerError, "\(error)\n", keepAlive: head.isKeepAlive, context: context)
            }
        }
    }

    private func write(_ status: HTTPResponseStatus, _ text: String, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(text.utf8.count))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
