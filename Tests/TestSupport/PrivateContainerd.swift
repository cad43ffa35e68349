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
    /// Directories put in front of containerd's PATH. containerd looks a
    /// runtime's shim binary up in its own PATH (`io.containerd.kata.v2` ->
    /// `containerd-shim-kata-v2`), and the shims inherit that PATH.
    public let pathDirectories: [String]
    private var daemon: BackgroundProcess?
    private let namespacesLock = NSLock()
    private var namespaces: Set<String> = []

    /// Starts containerd and waits until it answers.
    /// - Parameter extraConfig: TOML appended to the base configuration.
    /// - Parameter cri: load the CRI plugin (slower to start; off for tests that do not need it).
    /// - Parameter pathDirectories: prepended to containerd's PATH, for
    ///   example the build directory holding `containerd-shim-kata-v2`.
    /// - Parameter prepare: runs on the written config.toml's path before the
    ///   daemon starts (for example an installer that edits it).
    public init(extraConfig: String = "", cri: Bool = false, pathDirectories: [String] = [],
                prepare: ((String) throws -> Void)? = nil) async throws {
        self.pathDirectories = pathDirectories
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
        do {
            try prepare?(directory + "/config.toml")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        try await start()
    }

    /// The config file the daemon reads.
    public var configPath: String { directory + "/config.toml" }

    /// Marks a namespace as used by the test (CRI's `k8s.io`), so that
    /// `destroy()` stops its tasks and removes its cgroups.
    public func track(namespace: String) {
        namespacesLock.withLock { _ = namespaces.insert(namespace) }
    }

    /// Starts (or restarts) the daemon on the same root and state.
    public func start() async throws {
        var environment: [String: String]? = nil
        if !pathDirectories.isEmpty {
            var inherited = ProcessInfo.processInfo.environment
            let path = inherited["PATH"].map { [$0] } ?? ["/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"]
            inherited["PATH"] = (pathDirectories + path).joined(separator: ":")
            environment = inherited
        }
        let daemon = try BackgroundProcess(["containerd", "--config", directory + "/config.toml"],
                                           logPath: directory + "/containerd.log", environment: environment,
                                           directory: directory, package: "containerd")
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
        if let command = arguments.first, ["run", "task", "tasks", "t"].contains(command) {
            namespacesLock.withLock { _ = namespaces.insert(namespace) }
        }
        return try run(["ctr", "--address", socket, "--namespace", namespace] + arguments, timeout: timeout, package: "containerd")
    }

    /// Starts `ctr events`, which prints every event containerd receives.
    public func subscribeToEvents() throws -> BackgroundProcess {
        try BackgroundProcess(["ctr", "--address", socket, "events"], logPath: directory + "/events-\(UUID().uuidString.prefix(8)).log", package: "containerd")
    }

    /// Imports the local test images (`TestImages`: localhost/busybox:local
    /// and localhost/pause:local) into each namespace, building them first if
    /// this test run has not yet.
    public func importImages(namespaces: [String] = ["default"]) async throws {
        try await NIOOffPool.run { [self] in
            let archives = [try TestImages.busybox, try TestImages.pause]
            for namespace in namespaces {
                for archive in archives {
                    let result = try ctr(["images", "import", archive], namespace: namespace, timeout: 120)
                    guard result.succeeded else {
                        throw CommandError(description: "ctr -n \(namespace) images import \(archive) exited with \(result.status):\n\(result.output)")
                    }
                }
            }
        }
    }

    /// Stops the daemon (SIGTERM, by pid; SIGKILL after 10 s) and keeps its
    /// directories. Returns once it has exited, without waiting for Foundation
    /// to reap it: Foundation notices a child's exit when the child's end of a
    /// socketpair closes, and containerd passes that descriptor on to the
    /// shims it starts, so while a runc shim outlives containerd,
    /// `Process.waitUntilExit` would wait for the shim too.
    public func stopDaemon() {
        guard let daemon, daemon.isRunning else { return }
        let pid = daemon.pid
        kill(pid, SIGTERM)
        if !Self.waitForExit(of: [pid], timeout: 10) {
            kill(pid, SIGKILL)
            _ = Self.waitForExit(of: [pid], timeout: 5)
        }
        let deadline = Date().addingTimeInterval(1)
        while daemon.isRunning && Date() < deadline { usleep(10_000) }
    }

    /// Whether every pid has exited (gone, or a zombie), polling up to `timeout`.
    private static func waitForExit(of pids: [Int32], timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while pids.contains(where: { isAlive($0) }) {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    private var daemonIsAlive: Bool { daemon.map { $0.isRunning && Self.isAlive($0.pid) } ?? false }

    /// Stops the daemon and removes everything it had, leaving nothing
    /// behind even when a test failed half-way: the tasks of the namespaces
    /// this object's `ctr` ran containers in are killed and deleted while
    /// containerd still runs; then the daemon stops; shims still serving this
    /// containerd (and their children: containers, QEMU, virtiofsd) are killed
    /// by pid and their sockets removed; mounts under the directory are
    /// detached (so that the removal never deletes through a container's
    /// rootfs); the namespaces' empty cgroups go; the directory goes.
    public func destroy() {
        stopTasks()
        stopDaemon()
        killLeftoverShims()
        // Foundation reaps containerd once the last shim holding its
        // descriptor is gone (see stopDaemon).
        let deadline = Date().addingTimeInterval(2)
        while daemon?.isRunning == true && Date() < deadline { usleep(10_000) }
        unmountAll()
        removeNamespaceCgroups()
        let mounted = Self.mountPoints().contains { $0.hasPrefix(directory + "/") }
        if !mounted { try? FileManager.default.removeItem(atPath: directory) }
    }

    private var usedNamespaces: [String] { namespacesLock.withLock { namespaces.sorted() } }

    /// Kills and deletes every task of the namespaces used (containerd must run).
    private func stopTasks() {
        guard daemonIsAlive else { return }
        for namespace in usedNamespaces {
            guard let list = try? ctr(["task", "ls", "-q"], namespace: namespace, timeout: 20), list.succeeded else { continue }
            for id in list.output.split(whereSeparator: \.isNewline).map(String.init) where !id.isEmpty {
                _ = try? ctr(["task", "kill", "-s", "KILL", id], namespace: namespace, timeout: 20)
                _ = try? ctr(["task", "delete", "--force", id], namespace: namespace, timeout: 30)
            }
        }
    }

    /// Shims whose argv[0] is a containerd-shim-* and one of whose arguments
    /// is exactly this containerd's socket, with all their descendants.
    public func shimProcesses() -> [Int32] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
        var parents: [Int32: Int32] = [:]
        var shims: [Int32] = []
        for pid in pids {
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let close = stat.lastIndex(of: ")") {
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 1, let parent = Int32(fields[1]) { parents[pid] = parent }
            }
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard let first = arguments.first, (first as NSString).lastPathComponent.hasPrefix("containerd-shim"),
                  arguments.contains(socket) else { continue }
            shims.append(pid)
        }
        var found = shims
        var index = 0
        while index < found.count {
            let parent = found[index]
            found += parents.filter { $0.value == parent && !found.contains($0.key) }.map(\.key)
            index += 1
        }
        return found
    }

    private func killLeftoverShims() {
        let pids = shimProcesses()
        // The IO fifos the shims hold (ctr makes them in
        // /run/containerd/fifo/<n>/ and removes them when it deletes the task).
        var fifoDirectories = Set<String>()
        for pid in pids {
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                      target.hasPrefix("/run/containerd/fifo/") else { continue }
                fifoDirectories.insert((target as NSString).deletingLastPathComponent)
            }
        }
        for pid in pids { kill(pid, SIGKILL) }
        _ = Self.waitForExit(of: pids, timeout: 5)
        for fifos in fifoDirectories where fifos.count > "/run/containerd/fifo/".count {
            try? FileManager.default.removeItem(atPath: fifos)
        }
        // Their sockets (the bundles' `address` files; containerd 1.6 puts
        // them under /run/containerd/s). A shim that exits cleanly removes
        // its own, and containerd its bundle.
        let tasks = state + "/io.containerd.runtime.v2.task"
        for namespace in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            for id in (try? FileManager.default.contentsOfDirectory(atPath: tasks + "/" + namespace)) ?? [] {
                guard let address = try? String(contentsOfFile: "\(tasks)/\(namespace)/\(id)/address", encoding: .utf8) else { continue }
                var path = address.trimmingCharacters(in: .whitespacesAndNewlines)
                if path.hasPrefix("unix://") { path.removeFirst("unix://".count) }
                var info = stat()
                if path.hasPrefix("/"), lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
            }
        }
    }

    private static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    /// Mount points from /proc/self/mountinfo (octal escapes decoded).
    static func mountPoints() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            var bytes: [UInt8] = []
            var raw = Array(fields[4].utf8)[...]
            while let byte = raw.popFirst() {
                if byte == UInt8(ascii: "\\"), raw.count >= 3, let value = UInt8(String(decoding: raw.prefix(3), as: UTF8.self), radix: 8) {
                    bytes.append(value)
                    raw = raw.dropFirst(3)
                } else {
                    bytes.append(byte)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Detaches every mount under the directory, deepest first.
    private func unmountAll() {
        let mounts = Self.mountPoints().filter { $0.hasPrefix(directory + "/") }.sorted { $0.count > $1.count }
        for mount in mounts { _ = umount2(mount, Int32(MNT_DETACH)) }
    }

    /// runc leaves the parent cgroup of a namespace's containers behind
    /// (ctr's default cgroups path is /NAMESPACE/ID), and a killed shim its
    /// container's too: removes both levels, in every hierarchy, for the
    /// namespaces this object's `ctr` ran containers in. rmdir removes only
    /// empty cgroups, so one still in use elsewhere stays.
    public func removeNamespaceCgroups() {
        let base = "/sys/fs/cgroup"
        let hierarchies = [base] + ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).map { base + "/" + $0 }
        for namespace in usedNamespaces where !namespace.isEmpty && !namespace.contains("/") {
            for hierarchy in hierarchies {
                let parent = hierarchy + "/" + namespace
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
                for child in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
                    var childIsDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: parent + "/" + child, isDirectory: &childIsDirectory), childIsDirectory.boolValue {
                        _ = rmdir(parent + "/" + child)
                    }
                }
                _ = rmdir(parent)
            }
        }
    }
}
