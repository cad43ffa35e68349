import Logging
import NIOCore
import NIOHTTP1

/// One connection of the management socket: answers its first request and
/// closes (clients read to EOF; scrapes are seconds apart). A request that
/// does not parse gets NIO's 400 and closes this connection only; one that
/// sends nothing for `idleTimeout` is closed.
final class ManagementHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: ManagementResponder
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var answering = false

    init(responder: ManagementResponder, logger: Logger) {
        self.responder = responder
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            if !answering { self.head = head }
        case .body:
            break
        case .end:
            guard let head, !answering else { return }
            answering = true
            answer(head, context: context)
        }
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let responder = self.responder
        let boundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        Task {
            let response = await responder.respond(method: head.method, uri: head.uri)
            eventLoop.execute {
                boundSelf.value.write(response, version: head.version, context: boundContext.value)
            }
        }
    }

    private func write(_ response: ManagementResponder.Response, version: HTTPVersion, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let body = context.channel.allocator.buffer(string: response.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in boundContext.value.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent, !answering {
            logger.debug("management socket: closing a connection that sent no request")
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIO's error handler has answered 400 already; this connection only.
        logger.debug("management socket: closing a connection: \(error)")
        context.close(promise: nil)
    }
}
