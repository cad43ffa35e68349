import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The sandbox's management socket, as Kata's shim serves it
/// (`/run/vc/sbs/<sid>/shim-monitor.sock`, kata-shim-compat §1.8): HTTP/1.1
/// on a unix socket of mode 0600, read by `kata-runtime metrics` and
/// kata-monitor. `GET /metrics` answers Prometheus text (shim, hypervisor and
/// agent figures), `GET /agent-url` the agent's address.
public final class ShimManagementServer: Sendable {
    /// The socket's path.
    public let socketPath: String
    private let channel: any Channel

    private init(socketPath: String, channel: any Channel) {
        self.socketPath = socketPath
        self.channel = channel
    }

    /// Listens on `socketPath` (a stale socket file there is replaced).
    /// - Parameters:
    ///   - agentTimeout: how long `/metrics` waits for the agent's figures
    ///     before it answers without them.
    ///   - idleTimeout: a connection that sends no complete request within it is closed.
    public static func start(
        socketPath: String, source: any ManagementSource, agentTimeout: Duration = .seconds(3),
        idleTimeout: TimeAmount = .seconds(30), logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ShimManagementServer {
        let responder = ManagementResponder(source: source, agentTimeout: agentTimeout, logger: logger)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ManagementHTTPHandler(responder: responder, logger: logger))
                }
            }
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true)
            .get()
        guard chmod(socketPath, 0o600) == 0 else {
            let code = errno
            try? await channel.close()
            unlink(socketPath)
            throw IOError(errnoCode: code, reason: "chmod 0600 \(socketPath)")
        }
        return ShimManagementServer(socketPath: socketPath, channel: channel)
    }

    /// Stops accepting and removes the socket file. Safe to repeat.
    public func stop() async {
        try? await channel.close()
        unlink(socketPath)
    }
}
