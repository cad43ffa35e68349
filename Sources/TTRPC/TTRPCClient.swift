#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Protocols
import NIOPosix
import SwiftProtobuf

/// A ttrpc client on one connection. Calls are multiplexed: each gets the next
/// odd stream id and answers may arrive in any order.
public final class TTRPCClient: Sendable {
    /// The state shared by callers and the channel handler.
    struct Calls {
        var nextStreamID: UInt32 = 1
        var pending: [UInt32: EventLoopPromise<Ttrpc_Response>] = [:]
        /// Set when the connection is gone; later calls fail with it.
        var closedReason: RPCError?
    }

    public let channel: any Channel
    private let calls: NIOLockedValueBox<Calls>

    /// Wraps an already-connected byte stream (e.g. a socket whose other end
    /// is a virtio-serial port) and installs the ttrpc pipeline on it.
    public static func wrapping(_ channel: any Channel, logger: Logger = Logger(label: "ttrpc-client")) async throws -> TTRPCClient {
        let calls = NIOLockedValueBox(Calls())
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addTTRPCFrameCodec()
            try channel.pipeline.syncOperations.addHandler(TTRPCClientHandler(calls: calls, logger: logger))
        }.get()
        return TTRPCClient(channel: channel, calls: calls)
    }

    /// Connects to `endpoint`.
    public static func connect(
        to endpoint: TTRPCEndpoint,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ttrpc-client")
    ) async throws -> TTRPCClient {
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addTTRPCFrameCodec()
                }
            }
        let channel: any Channel
        switch endpoint {
        case let .unix(path):
            channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
        case let .vsock(cid, port):
            channel = try await bootstrap.connect(to: VsockAddress(cid: .init(rawValue: cid), port: .init(rawValue: port))).get()
        }
        let calls = NIOLockedValueBox(Calls())
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(TTRPCClientHandler(calls: calls, logger: logger))
        }.get()
        return TTRPCClient(channel: channel, calls: calls)
    }

    private init(channel: any Channel, calls: NIOLockedValueBox<Calls>) {
        self.channel = channel
        self.calls = calls
    }

    /// True until the connection closes.
    public var isActive: Bool {
        calls.withLockedValue { $0.closedReason == nil } && channel.isActive
    }

    /// Calls `service/method` with a serialized request and returns the serialized response.
    /// - Parameters:
    ///   - timeout: sent to the server as `timeout_nano` and enforced here.
    ///   - metadata: request metadata (e.g. `containerd-namespace-ttrpc`).
    /// - Throws: ``RPCError`` with the server's status, `DeadlineExceeded` when the
    ///   timeout passes, `Canceled` when the calling task is cancelled, and
    ///   `Unavailable` when the connection is or becomes closed.
    public func call(
        service: String,
        method: String,
        payload: Data,
        timeout: TimeAmount? = nil,
        metadata: [(key: String, value: String)] = []
    ) async throws -> Data {
        var request = Ttrpc_Request()
        request.service = service
        request.method = method
        request.payload = payload
        if let timeout { request.timeoutNano = timeout.nanoseconds }
        request.metadata = metadata.map { pair in .with { $0.key = pair.key; $0.value = pair.value } }
        let bytes: [UInt8] = try request.serializedBytes()
        guard bytes.count <= TTRPCFrame.maximumPayloadLength else {
            throw RPCError(code: .resourceExhausted, message: "\(service)/\(method): request of \(bytes.count) bytes exceeds the ttrpc limit of \(TTRPCFrame.maximumPayloadLength) bytes")
        }
        let payloadBuffer = channel.allocator.buffer(bytes: bytes)
        let (streamID, promise) = try calls.withLockedValue { calls in
            if let reason = calls.closedReason { throw reason }
            let promise = channel.eventLoop.makePromise(of: Ttrpc_Response.self)
            let id = calls.nextStreamID
            calls.nextStreamID &+= 2
            calls.pending[id] = promise
            // Written while holding the lock so that frames reach the wire in id order.
            channel.writeAndFlush(TTRPCFrame(streamID: id, type: .request, payload: payloadBuffer), promise: nil)
            return (id, promise)
        }
        let timeoutTask = timeout.map { amount in
            channel.eventLoop.scheduleTask(in: amount) { [calls] in
                calls.withLockedValue { $0.pending.removeValue(forKey: streamID) }?
                    .fail(RPCError(code: .deadlineExceeded, message: "\(service)/\(method): no answer within \(amount)"))
            }
        }
        defer { timeoutTask?.cancel() }
        let response = try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: { [calls] in
            calls.withLockedValue { $0.pending.removeValue(forKey: streamID) }?
                .fail(RPCError(code: .canceled, message: "\(service)/\(method): \(ErrorClass.canceled.suffix)"))
        }
        if response.hasStatus, response.status.code != 0 {
            throw RPCError(code: RPCStatusCode(code: response.status.code), message: response.status.message)
        }
        return response.payload
    }

    /// Calls a unary method with protobuf messages.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        service: String,
        method: String,
        request: Request,
        responseType: Response.Type = Response.self,
        timeout: TimeAmount? = nil,
        metadata: [(key: String, value: String)] = []
    ) async throws -> Response {
        let payload = try await call(service: service, method: method, payload: try request.serializedBytes(), timeout: timeout, metadata: metadata)
        do {
            return try Response(serializedBytes: payload)
        } catch {
            throw RPCError(code: .internal, message: "\(service)/\(method): cannot decode \(Response.protoMessageName): \(error)")
        }
    }

    /// Closes the connection; pending calls fail with `Unavailable`.
    public func close() async {
        try? await channel.close()
    }
}

/// Completes pending calls from Response frames and fails them all when the
/// connection ends.
final class TTRPCClientHandler: ChannelInboundHandler {
    typealias InboundIn = TTRPCFrame

    private let calls: NIOLockedValueBox<TTRPCClient.Calls>
    private let logger: Logger

    init(calls: NIOLockedValueBox<TTRPCClient.Calls>, logger: Logger) {
        self.calls = calls
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.type == .response else {
            fail(context: context, reason: TTRPCProtocolError.unexpectedMessageType(streamID: frame.streamID, type: frame.type))
            return
        }
        let response: Ttrpc_Response
        do {
            response = try Ttrpc_Response(serializedBytes: Array(buffer: frame.payload))
        } catch {
            fail(context: context, reason: TTRPCProtocolError.malformedPayload(streamID: frame.streamID, reason: "\(error)"))
            return
        }
        // A call that timed out or was cancelled is no longer pending: drop its late answer.
        calls.withLockedValue { $0.pending.removeValue(forKey: frame.streamID) }?.succeed(response)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, reason: error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RPCError(code: .unavailable, message: "ttrpc: closed"))
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, reason: any Error) {
        logger.warning("ttrpc client: closing connection", metadata: ["reason": "\(reason)"])
        failAll(RPCError(code: .unavailable, message: "ttrpc: connection closed: \(reason)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RPCError) {
        let pending = calls.withLockedValue { calls in
            if calls.closedReason == nil { calls.closedReason = error }
            defer { calls.pending.removeAll() }
            return calls.pending
        }
        for promise in pending.values { promise.fail(error) }
    }
}
