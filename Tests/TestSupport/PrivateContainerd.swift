import Foundation

/// A containerd of the test's own: its root, state, sockets and config live in
/// one temporary directory, it is started by the test and stopped by its pid.
/// Nothing in /etc, /var/lib/containerd or /run/containerd is used.
public final class PrivateContainerd: @unchecked Sendable {
    public let directory: String
    public var socket: String { directory + "/containerd.sock" }
    /// containerd's ttrpc endpoint, where shims publish events (`TTRPC_ADDRESS`).
    public var ttrpcSocket: String { socket + ".ttrpc" }
    public var root: String { directory + "/root" }
    public var state: String { directory + "/state" }
    private var daemon: BackgroundProcess?

    /// Starts containerd and waits until it answers.
    /// - Parameter extraConfig: TOML appended to the base configuration.
    /// - Parameter cri: load the CRI plugin (slower to start; off for tests that do not need it).
    public init(extraConfig: String = "", cri: Bool = false) async throws {
        directory = try makeTemporaryDirectory("ctrd")
        let config = """
        version = 2
        root = "\(directory)/root"
        state = "\(directory)/state"
        \(cri ? "" : "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]")
        [grpc]
          address = "\(socket)"
        [debug]
          level = "debug"
        [plugins."io.containerd.internal.v1.opt"]
          path = "\(directory)/opt"
        \(extraConfig)
        """
        try config.write(toFile: directory + "/config.toml", atomically: true, encoding: .utf8)
        try await start()
    }

    /// Starts (or restarts) the daemon on the same root and state.
    public func start() async throws {
        let daemon = try BackgroundProcess(["containerd", "--config", directory + "/config.toml"],
                                           logPath: directory + "/containerd.log", directory: directory, package: "containerd")
        self.daemon = daemon
        let deadline = Date().addingTimeInterval(60)
        while daemon.isRunning {
            let answered = try await NIOOffPool.run { [self] in (try? ctr(["version"], timeout: 10))?.succeeded ?? false }
            if answered { break }
            guard Date() < deadline else {
                throw CommandError(description: "containerd did not answer on \(socket) within 60 s; log:\n\(daemon.log.suffix(4000))")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        guard daemon.isRunning else {
            throw CommandError(description: "containerd exited at start; log:\n\(daemon.log.suffix(4000))")
        }
    }

    public var pid: Int32? { daemon?.pid }
    public var log: String { daemon?.log ?? "" }

    /// Runs `ctr` against this containerd.
    @discardableResult
    public func ctr(_ arguments: [String], namespace: String = "default", timeout: TimeInterval = 120) throws -> CommandResult {
        try run(["ctr", "--address", socket, "--namespace", namespace] + arguments, timeout: timeout, package: "containerd")
    }

    /// Starts `ctr events`, which prints every event containerd receives.
    public func subscribeToEvents() throws -> BackgroundProcess {
        try BackgroundProcess(["ctr", "--address", socket, "events"], logPath: directory + "/events-\(UUID().uuidString.prefix(8)).log", package: "containerd")
    }

    /// Stops the daemon (SIGTERM, by pid) and keeps its directories.
    public func stopDaemon() {
        daemon?.stop()
    }

    /// Stops the daemon and removes everything it had.
    public func destroy() {
        stopDaemon()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
