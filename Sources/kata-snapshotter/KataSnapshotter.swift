import ArgumentParser
import Dispatch
import Files
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Glibc
import GuestPullSnapshotter
import Logging

/// containerd's proxy snapshotter for guest pull (Confidential Containers):
/// image layers are recorded, never fetched or unpacked on the host, and a
/// container's rootfs is a Kata virtual volume the guest agent pulls.
@main
struct KataSnapshotter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kata-snapshotter",
        abstract: "containerd proxy snapshotter that keeps image layers off the host (Kata guest pull).",
        discussion: """
            containerd configuration:
              [proxy_plugins.kata-guest-pull]
                type = "snapshot"
                address = "/run/kata-snapshotter/snapshotter.sock"
            and, for CRI's image labels, disable_snapshot_annotations = false.
            """
    )

    @Option(help: "Directory of the snapshotter's state (snapshots.json).")
    var root = "/var/lib/kata-snapshotter"

    @Option(help: "Unix socket to serve containerd's snapshot API on (a stale socket is replaced).")
    var address = "/run/kata-snapshotter/snapshotter.sock"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel): use trace, debug, info, notice, warning, error or critical")
        }
        guard address.utf8.count < 108 else {
            throw ValidationError("--address \(address): a unix socket path has at most 107 bytes; choose a shorter path")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "kata-snapshotter")

        let snapshotter = try GuestPullSnapshotter(root: root, logger: logger)
        try SnapshotterSocket.prepare(address)
        // The socket is created 0700 and narrowed to 0600 once bound: never
        // reachable by others in between.
        let previousMask = umask(0o077)
        let transport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: address), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [SnapshotsService(snapshotter: snapshotter, logger: logger)])

        let signals = ShutdownSignals { signal in
            logger.info("stopping", metadata: ["signal": "\(signal)"])
            server.beginGracefulShutdown()
        }
        defer { signals.cancel() }

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            _ = try await transport.listeningAddress
            umask(previousMask)
            guard chmod(address, 0o600) == 0 else {
                server.beginGracefulShutdown()
                throw SnapshotterSocket.Failure("chmod 0600 \(address): \(String(cString: strerror(errno)))")
            }
            let count = await snapshotter.list().count
            logger.info("serving", metadata: ["address": "\(address)", "root": "\(root)", "snapshots": "\(count)"])
        }
        unlink(address)
    }
}
