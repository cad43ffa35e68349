#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import Protocols
import SwiftProtobuf

/// A ttrpc client that dials again when its connection has gone away. It suits
/// a peer that comes and goes behind a stable address, such as the unix socket
/// QEMU serves for a virtio-serial port: only one host connection is served at a
/// time, so all calls share one. A call that is in flight when the connection
/// drops fails with `Unavailable` (it is not repeated: it may have had effects);
/// the next call reconnects.
public actor ReconnectingTTRPCClient {
    public typealias Dialer = @Sendable () async throws -> TTRPCClient

    private let dial: Dialer
    private var current: TTRPCClient?
    private var dialing: Task<TTRPCClient, any Error>?
    /// Connections made so far (1 after the first call).
    public private(set) var connectionCount = 0

    public init(dial: @escaping Dialer) {
        self.dial = dial
    }

    /// Reconnects to `endpoint` whenever needed.
    public init(endpoint: TTRPCEndpoint) {
        self.init { try await TTRPCClient.connect(to: endpoint) }
    }

    /// The live connection, dialing a new one if there is none.
    public func client() async throws -> TTRPCClient {
        if let current, current.isActive { return current }
        current = nil
        if let dialing { return try await dialing.value }
        let task = Task { try await dial() }
        dialing = task
        defer { dialing = nil }
        do {
            let client = try await task.value
            current = client
            connectionCount += 1
            return client
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: .unavailable, message: "ttrpc: cannot connect: \(error)")
        }
    }

    /// See ``TTRPCClient/call(service:method:payload:timeout:metadata:)``.
    public func call(
        service: String, method: String, payload: Data,
        timeout: TimeAmount? = nil, metadata: [(key: String, value: String)] = []
    ) async throws -> Data {
        try await client().call(service: service, method: method, payload: payload, timeout: timeout, metadata: metadata)
    }

    /// See ``TTRPCClient/call(service:method:request:responseType:timeout:metadata:)``.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        service: String, method: String, request: Request, responseType: Response.Type = Response.self,
        timeout: TimeAmount? = nil, metadata: [(key: String, value: String)] = []
    ) async throws -> Response {
        try await client().call(service: service, method: method, request: request, responseType: responseType, timeout: timeout, metadata: metadata)
    }

    /// Closes the current connection, if any.
    public func close() async {
        await current?.close()
        current = nil
    }
}
