import CLinux
import Logging
import NIOCore
import Protocols
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// A ttrpc server: a set of services, served on any number of listeners and
/// connected streams. Every connection is independent: a bad frame on one
/// closes that one and the others go on.
public final class TTRPCServer: Sendable {
    private let services: [String: TTRPCService]
    private let group: any EventLoopGroup
    private let logger: Logger

    /// - Parameters:
    ///   - services: handlers by service name; names must be unique.
    ///   - group: the event loops that run the connections.
    public init(services: [TTRPCService], group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "ttrpc")) {
        var table: [String: TTRPCService] = [:]
        for service in services {
            precondition(table[service.name] == nil, "service \(service.name) registered twice")
            table[service.name] = service
        }
        self.services = table
        self.group = group
        self.logger = logger
    }

    private func initializeChild(_ channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addTTRPCFrameCodec()
            try channel.pipeline.syncOperations.addHandler(TTRPCServerHandler(services: self.services, logger: self.logger))
        }
    }

    private var bootstrap: ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { [self] channel in initializeChild(channel) }
    }

    /// Listens on `endpoint`. A unix socket is created with mode 0600 (a stale
    /// socket file at the path is replaced).
    public func listen(on endpoint: TTRPCEndpoint) async throws -> TTRPCListener {
        let channel: any Channel
        switch endpoint {
        case let .unix(path):
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            guard chmod(path, 0o600) == 0 else {
                let code = errno
                try? await channel.close()
                throw IOError(errnoCode: code, reason: "chmod 0600 \(path)")
            }
        case let .vsock(cid, port):
            channel = try await bootstrap.bind(to: VsockAddress(cid: .init(rawValue: cid), port: .init(rawValue: port))).get()
        }
        return TTRPCListener(channel: channel, endpoint: endpoint)
    }

    /// Serves on a listening socket received from the parent process (the shim
    /// daemon gets containerd's socket as fd 3). Takes ownership of `descriptor`.
    public func listen(onInheritedSocket descriptor: CInt) async throws -> TTRPCListener {
        let channel = try await bootstrap.withBoundSocket(descriptor).get()
        return TTRPCListener(channel: channel, endpoint: nil)
    }

    /// Serves one already-connected byte stream, e.g. a virtio-serial port in the
    /// guest. Takes ownership of `descriptor`; the returned channel's close future
    /// completes when the peer goes away (reopen the port and call again).
    public func serve(connectedDescriptor descriptor: CInt) async throws -> any Channel {
        try await NIOPipeBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .channelInitializer { [self] channel in initializeChild(channel) }
            .takingOwnershipOfDescriptor(inputOutput: descriptor)
            .get()
    }
}

/// A listening ttrpc socket.
public struct TTRPCListener: Sendable {
    public let channel: any Channel
    /// Where it listens (nil for an inherited socket).
    public let endpoint: TTRPCEndpoint?

    /// Stops accepting and removes a unix socket file; established connections
    /// stay open until their peers close them.
    public func close() async throws {
        defer {
            if case let .unix(path) = endpoint { unlink(path) }
        }
        try await channel.close()
    }
}
