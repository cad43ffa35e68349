#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import Protocols
import SwiftProtobuf

/// Serves ttrpc requests on one connection. Each request runs in its own task,
/// so a long `Wait` does not hold up the calls pipelined after it; answers go
/// out in the order they finish. Protocol violations close this connection only.
final class TTRPCServerHandler: ChannelInboundHandler {
    typealias InboundIn = TTRPCFrame
    typealias OutboundOut = TTRPCFrame

    private let services: [String: TTRPCService]
    private let logger: Logger
    private var lastStreamID: UInt32 = 0
    private var executor: EventLoopTaskExecutor?
    private var inFlight: [UInt32: Task<Void, Never>] = [:]

    init(services: [String: TTRPCService], logger: Logger) {
        self.services = services
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            try accept(frame)
            let request: Ttrpc_Request
            do {
                request = try Ttrpc_Request(serializedBytes: Array(buffer: frame.payload))
            } catch {
                throw TTRPCProtocolError.malformedPayload(streamID: frame.streamID, reason: "\(error)")
            }
            dispatch(request, streamID: frame.streamID, context: context)
        } catch {
            closeConnection(context: context, reason: error)
        }
    }

    /// Checks the frame against the protocol before its payload is read.
    private func accept(_ frame: TTRPCFrame) throws {
        guard frame.type == .request else {
            throw TTRPCProtocolError.unexpectedMessageType(streamID: frame.streamID, type: frame.type)
        }
        guard frame.streamID % 2 == 1 else { throw TTRPCProtocolError.evenStreamID(frame.streamID) }
        guard frame.streamID > lastStreamID else {
            throw TTRPCProtocolError.streamIDNotIncreasing(frame.streamID, last: lastStreamID)
        }
        lastStreamID = frame.streamID
    }

    private func dispatch(_ request: Ttrpc_Request, streamID: UInt32, context: ChannelHandlerContext) {
        let callContext = TTRPCCallContext(
            service: request.service,
            method: request.method,
            metadata: request.metadata.map { (key: $0.key, value: $0.value) },
            deadline: request.timeoutNano > 0 ? .now() + .nanoseconds(request.timeoutNano) : nil
        )
        let handler: TTRPCMethodHandler
        if let service = services[request.service] {
            guard let method = service.methods[request.method] else {
                respond(streamID: streamID, result: .failure(RPCError(code: .unimplemented, message: "method \(request.method)")), context: context)
                return
            }
            handler = method
        } else {
            respond(streamID: streamID, result: .failure(RPCError(code: .unimplemented, message: "service \(request.service)")), context: context)
            return
        }

        let payload = request.payload
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let logger = self.logger
        let executor = self.executor ?? EventLoopTaskExecutor(eventLoop: eventLoop)
        self.executor = executor
        inFlight[streamID] = Task(executorPreference: executor) {
            let result: Result<Data, any Error>
            do {
                result = .success(try await withDeadline(callContext.deadline) {
                    try await handler(payload, callContext)
                })
            } catch {
                result = .failure(error)
            }
            if case let .failure(error) = result {
                logger.debug("ttrpc call failed", metadata: ["method": "\(callContext.service)/\(callContext.method)", "error": "\(error)"])
            }
            let finish = {
                let handler = loopBoundSelf.value
                guard handler.inFlight.removeValue(forKey: streamID) != nil else { return }
                handler.respond(streamID: streamID, result: result, context: loopBoundContext.value)
            }
            if eventLoop.inEventLoop { finish() } else { eventLoop.execute(finish) }
        }
    }

    private func respond(streamID: UInt32, result: Result<Data, any Error>, context: ChannelHandlerContext) {
        var response = Ttrpc_Response()
        switch result {
        case let .success(payload):
            if payload.count > TTRPCFrame.maximumPayloadLength - 16 {
                response.status = .with {
                    $0.code = RPCStatusCode.resourceExhausted.rawValue
                    $0.message = "response of \(payload.count) bytes exceeds the ttrpc limit of \(TTRPCFrame.maximumPayloadLength) bytes"
                }
            } else {
                response.payload = payload
            }
        case let .failure(error):
            let status = RPCError(answering: error)
            response.status = .with {
                $0.code = status.code.rawValue
                $0.message = status.message
            }
        }
        let bytes: [UInt8]
        do {
            bytes = try response.serializedBytes()
        } catch {
            closeConnection(context: context, reason: error)
            return
        }
        let frame = TTRPCFrame(streamID: streamID, type: .response, payload: context.channel.allocator.buffer(bytes: bytes))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeConnection(context: context, reason: error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        for task in inFlight.values { task.cancel() }
        inFlight.removeAll()
        context.fireChannelInactive()
    }

    private func closeConnection(context: ChannelHandlerContext, reason: any Error) {
        if let ioError = reason as? IOError, ioError.errnoCode == ECONNRESET || ioError.errnoCode == EPIPE {
            logger.debug("ttrpc connection reset by peer")
        } else {
            logger.warning("ttrpc: closing connection", metadata: ["reason": "\(reason)"])
        }
        for task in inFlight.values { task.cancel() }
        inFlight.removeAll()
        context.close(promise: nil)
    }
}

/// Runs `operation`, giving up with `DeadlineExceeded` at `deadline`.
func withDeadline<T: Sendable>(_ deadline: NIODeadline?, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let deadline else { return try await operation() }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            let remaining = deadline - .now()
            if remaining.nanoseconds > 0 {
                try await Task.sleep(nanoseconds: UInt64(remaining.nanoseconds))
            }
            throw RPCError(code: .deadlineExceeded, message: ErrorClass.deadlineExceeded.suffix)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
