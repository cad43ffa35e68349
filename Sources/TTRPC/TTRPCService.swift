#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import Protocols
import SwiftProtobuf

/// What a handler learns about the call besides its request.
public struct TTRPCCallContext: Sendable {
    public var service: String
    public var method: String
    /// Request metadata, keys as sent (Go lower-cases them), in order.
    public var metadata: [(key: String, value: String)]
    /// When the caller stops waiting (`timeout_nano`), if it set one.
    public var deadline: NIODeadline?

    public init(service: String, method: String, metadata: [(key: String, value: String)] = [], deadline: NIODeadline? = nil) {
        self.service = service
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
    }

    /// The first value of metadata `key` (case-insensitive), e.g. `containerd-namespace-ttrpc`.
    public func metadataValue(_ key: String) -> String? {
        let wanted = key.lowercased()
        return metadata.first { $0.key.lowercased() == wanted }?.value
    }
}

/// A method handler on serialized bytes: the server's view of every method.
public typealias TTRPCMethodHandler = @Sendable (_ payload: Data, _ context: TTRPCCallContext) async throws -> Data

/// A named ttrpc service: a table from method name to handler.
public struct TTRPCService: Sendable {
    public let name: String
    public private(set) var methods: [String: TTRPCMethodHandler] = [:]

    public init(name: String) {
        self.name = name
    }

    /// Registers a unary method on protobuf messages. A request that does not
    /// decode is answered with `InvalidArgument`.
    public mutating func addUnary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ handler: @escaping @Sendable (Request, TTRPCCallContext) async throws -> Response
    ) {
        methods[method] = { payload, context in
            let request: Request
            do {
                request = try Request(serializedBytes: payload)
            } catch {
                throw RPCError(code: .invalidArgument, message: "\(context.service)/\(context.method): cannot decode \(Request.protoMessageName): \(error)")
            }
            return try await handler(request, context).serializedBytes()
        }
    }

    /// Registers a method on raw bytes.
    public mutating func addRaw(_ method: String, _ handler: @escaping TTRPCMethodHandler) {
        methods[method] = handler
    }

    /// The same handlers under another service name (containerd 2.x calls the
    /// task service `containerd.task.v3.Task` with the v2 messages).
    public func renamed(_ name: String) -> TTRPCService {
        var copy = TTRPCService(name: name)
        copy.methods = methods
        return copy
    }
}
