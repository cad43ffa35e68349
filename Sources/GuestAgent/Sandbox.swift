#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChildProcesses
import CLinux
import Files
import Glibc
import NIOConcurrencyHelpers
import NIOPosix
import OCI
import Protocols

/// The agent's domain: one sandbox and its containers, run with an OCI runtime.
/// Operations that wait (a process's exit, its output) never hold the actor.
public actor Sandbox {
    let configuration: AgentConfiguration
    let reaper: ChildReaper
    let runtime: OCIRuntime
    private var containers: [String: AgentContainer] = [:]
    /// Ids being created, so that a second CreateContainer for one is refused.
    private var reserved: Set<String> = []
    private var sandboxID: String?
    private var sandboxMounts: [String] = []
    private var hostname: String?
    let oomEvents = OOMEventQueue()
    private var oomWatchers: [String: Task<Void, Never>] = [:]

    public init(configuration: AgentConfiguration, reaper: ChildReaper = .shared) {
        self.configuration = configuration
        self.reaper = reaper
        self.runtime = OCIRuntime(path: configuration.runtimePath, root: configuration.stateDirectory + "/runtime",
                                  runner: CommandRunner(reaper: reaper))
        // Containers' processes are re-parented to the agent when the runtime exits.
        reaper.reapAllChildren()
    }

    var containersDirectory: String { configuration.stateDirectory + "/containers" }

    // MARK: Sandbox

    func createSandbox(_ request: Grpc_CreateSandboxRequest) throws {
        guard sandboxID == nil else {
            throw AgentError(.alreadyExists, "sandbox \(sandboxID!) already exists")
        }
        if !request.hostname.isEmpty {
            guard request.hostname.utf8.count <= 64 else {
                throw AgentError.invalid("hostname \"\(request.hostname)\" is longer than 64 bytes")
            }
            guard sethostname(request.hostname, request.hostname.utf8.count) == 0 else {
                throw AgentError.failed("sethostname \(request.hostname): \(String(cString: strerror(errno)))")
            }
            hostname = request.hostname
        }
        let sandboxDirectory = configuration.stateDirectory + "/sandbox"
        try makeDirectories(sandboxDirectory)
        var mounted: [String] = []
        if !request.dns.isEmpty {
            let resolvConf = sandboxDirectory + "/resolv.conf"
            try writeFile(resolvConf, Array((request.dns.joined(separator: "\n") + "\n").utf8))
            if let target = configuration.resolvConfMountPoint {
                try StorageMounter.mountFilesystem(source: resolvConf, target: target, type: "none", options: ["bind"])
                mounted.append(target)
            }
        }
        do {
            for storage in request.storages {
                if let point = try StorageMounter.mount(storage) { mounted.append(point) }
            }
        } catch {
            mounted.reversed().forEach(StorageMounter.unmount)
            throw error
        }
        sandboxMounts = mounted
        sandboxID = request.sandboxID.isEmpty ? "sandbox" : request.sandboxID
    }

    /// Removes every container and unmounts the sandbox storages.
    public func destroySandbox() async {
        for id in containers.keys.sorted() {
            try? await removeContainer(id, timeout: 5)
        }
        sandboxMounts.reversed().forEach(StorageMounter.unmount)
        sandboxMounts = []
        sandboxID = nil
    }

    // MARK: Containers

    func container(_ id: String) throws -> AgentContainer {
        guard let container = containers[id] else { throw AgentError.notFound("container \(id) not found") }
        return container
    }

    static func validate(id: String, what: String) throws {
        guard !id.isEmpty, id.utf8.count <= 128, !id.contains("/"), id != ".", id != ".." else {
            throw AgentError.invalid("\(what) \"\(id)\" is not valid: 1 to 128 characters, no \"/\"")
        }
    }

    /// Guest pull, with this agent's directories.
    private var guestPull: GuestPullStorage {
        GuestPullStorage(workDirectory: configuration.stateDirectory + "/image", pauseRootfs: configuration.pauseBundle + "/rootfs")
    }

    func createContainer(_ request: Grpc_CreateContainerRequest) async throws {
        let id = request.containerID
        try Self.validate(id: id, what: "container_id")
        guard request.hasOci else { throw AgentError.invalid("CreateContainer \(id): the OCI spec is missing") }
        guard containers[id] == nil, !reserved.contains(id) else {
            throw AgentError(.alreadyExists, "container \(id) already exists")
        }
        reserved.insert(id)
        defer { reserved.remove(id) }

        var mounted: [String] = []
        var pulled: [GuestPullStorage.Mounted] = []
        let bundle = containersDirectory + "/" + id
        do {
            for storage in request.storages {
                if storage.driver == GuestPullStorage.driver {
                    pulled.append(try await guestPull.mount(storage, containerID: id))
                } else if let point = try StorageMounter.mount(storage) {
                    mounted.append(point)
                }
            }
            removeTree(bundle)
            try makeDirectories(bundle, mode: 0o700)
            var spec = OCISpec(request.oci).guestSubset
            guard let rootPath = spec.root?.path, rootPath.hasPrefix("/") else {
                throw AgentError.invalid("CreateContainer \(id): OCI Root.Path must be an absolute path in the guest")
            }
            if spec.linux == nil { spec.linux = OCISpec.Linux() }
            if spec.linux?.cgroupsPath == nil { spec.linux?.cgroupsPath = configuration.cgroupParent + "/" + id }
            try writeFile(bundle + "/config.json", try spec.json(), mode: 0o600)

            let terminal = spec.process?.terminal ?? false
            let process = try await startProcess(
                containerID: id, execID: id, terminal: terminal, directory: bundle,
                command: ["create", "--bundle", bundle, "--pid-file", bundle + "/init.pid"], target: id)
            let container = AgentContainer(id: id, bundle: bundle, initProcess: process, mounts: mounted, pulledImages: pulled)
            containers[id] = container
            watchOOM(container)
        } catch {
            mounted.reversed().forEach(StorageMounter.unmount)
            pulled.reversed().forEach(GuestPullStorage.unmount)
            removeTree(bundle)
            throw error
        }
    }

    /// Runs `create` or `exec --detach` with fresh stdio (pipes, or a terminal
    /// received over a console socket) and returns the started process.
    private func startProcess(containerID: String, execID: String, terminal: Bool, directory: String,
                              command: [String], target: String) async throws -> AgentProcess {
        let pidFile = command[command.firstIndex(of: "--pid-file")! + 1]
        let logFile = directory + "/runtime-\(execID).log"
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        if terminal {
            let socketPath = directory + "/console-\(Self.shortHash(execID)).sock"
            let listener = cs_unix_listen(socketPath)
            guard listener >= 0 else { throw AgentError.failed("console socket \(socketPath): \(String(cString: strerror(-listener)))") }
            defer { close(listener); unlink(socketPath) }
            async let master = NIOThreadPool.singleton.runIfActive { cs_accept_and_receive_fd(listener, 20_000) }
            do {
                try await runtime.runWithStdio(command + ["--console-socket", socketPath, target],
                                               stdio: (devnull, devnull, devnull), logFile: logFile,
                                               what: "\(execID == containerID ? "create" : "exec") \(containerID)/\(execID)")
            } catch {
                _ = try? await master
                throw error
            }
            let fd = try await master
            guard fd >= 0 else { throw AgentError.failed("no terminal from the runtime for \(containerID)/\(execID): \(String(cString: strerror(-fd)))") }
            let pid = try readPID(pidFile)
            let output = try await OutputStreamBuffer.start(reading: dup(fd))
            let input = try await InputStream.start(writing: dup(fd))
            return AgentProcess(containerID: containerID, execID: execID, pid: pid, stdin: input, stdout: output,
                                stderr: nil, terminal: fd, reaper: reaper)
        }
        var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        guard cs_pipe_cloexec(&stdinPipe) == 0, cs_pipe_cloexec(&stdoutPipe) == 0, cs_pipe_cloexec(&stderrPipe) == 0 else {
            throw AgentError.failed("pipe: \(String(cString: strerror(errno)))")
        }
        if configuration.containerPipeSize > 0 {
            for fd in [stdinPipe[1], stdoutPipe[1], stderrPipe[1]] { _ = cs_set_pipe_size(fd, Int32(configuration.containerPipeSize)) }
        }
        do {
            try await runtime.runWithStdio(command + [target], stdio: (stdinPipe[0], stdoutPipe[1], stderrPipe[1]), logFile: logFile,
                                           what: "\(execID == containerID ? "create" : "exec") \(containerID)/\(execID)")
        } catch {
            for fd in stdinPipe + stdoutPipe + stderrPipe { close(fd) }
            throw error
        }
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1])
        let pid: pid_t
        do { pid = try readPID(pidFile) } catch {
            close(stdinPipe[1]); close(stdoutPipe[0]); close(stderrPipe[0])
            throw error
        }
        let output = try await OutputStreamBuffer.start(reading: stdoutPipe[0])
        let errors = try await OutputStreamBuffer.start(reading: stderrPipe[0])
        let input = try await InputStream.start(writing: stdinPipe[1])
        return AgentProcess(containerID: containerID, execID: execID, pid: pid, stdin: input, stdout: output,
                            stderr: errors, terminal: nil, reaper: reaper)
    }

    /// Socket paths are short: a hash of an id that may be long.
    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    private func readPID(_ path: String) throws -> pid_t {
        let text = try readTextFile(path)
        guard let pid = pid_t(text.split(separator: "\n").first ?? "") else {
            throw AgentError.failed("the runtime wrote no pid to \(path)")
        }
        return pid
    }

    func startContainer(_ id: String) async throws {
        let container = try container(id)
        guard container.status == .created else {
            throw AgentError(.failedPrecondition, "container \(id) cannot be started: it is \(container.status)")
        }
        try await runtime.run(["start", id], what: "start \(id)")
        container.setStatus(.running)
    }

    func execProcess(_ request: Grpc_ExecProcessRequest) async throws {
        let container = try container(request.containerID)
        try Self.validate(id: request.execID, what: "exec_id")
        guard container.status == .running || container.status == .paused else {
            throw AgentError(.failedPrecondition, "cannot exec in container \(container.id): it is \(container.status)")
        }
        guard request.execID != container.id, container.process(request.execID) == nil else {
            throw AgentError(.alreadyExists, "exec \(request.execID) already exists in container \(container.id)")
        }
        guard request.hasProcess, !request.process.args.isEmpty else {
            throw AgentError.invalid("ExecProcess \(container.id)/\(request.execID): process.Args is empty")
        }
        let directory = container.bundle
        let tag = Self.shortHash(request.execID)
        let processFile = directory + "/exec-\(tag).json"
        try writeFile(processFile, try OCIProcess(request.process).json(), mode: 0o600)
        defer { unlink(processFile) }
        let process = try await startProcess(
            containerID: container.id, execID: request.execID, terminal: request.process.terminal, directory: directory,
            command: ["exec", "--process", processFile, "--detach", "--pid-file", directory + "/exec-\(tag).pid"],
            target: container.id)
        try container.addExec(process)
    }

    func process(_ containerID: String, _ execID: String) throws -> AgentProcess {
        let container = try container(containerID)
        guard let process = container.process(execID) else {
            throw AgentError.notFound("process \(execID) not found in container \(containerID)")
        }
        return process
    }

    func signalProcess(_ request: Grpc_SignalProcessRequest) async throws {
        let container = try container(request.containerID)
        let signal = Int32(request.signal)
        if request.execID.isEmpty {
            // Every process of the container, as Kata's shim expects when it stops one.
            guard container.initProcess.exitStatus == nil else { return }
            if container.status == .created {
                try container.initProcess.signal(signal)
            } else {
                _ = try? await runtime.run(["kill", "--all", container.id, String(signal)], what: "kill \(container.id)")
            }
            return
        }
        try process(request.containerID, request.execID).signal(signal)
    }

    func pause(_ id: String) async throws {
        let container = try container(id)
        guard container.status == .running else {
            throw AgentError(.failedPrecondition, "container \(id) cannot be paused: it is \(container.status)")
        }
        try await runtime.run(["pause", id], what: "pause \(id)")
        container.setStatus(.paused)
    }

    func resume(_ id: String) async throws {
        let container = try container(id)
        guard container.status == .paused else {
            throw AgentError(.failedPrecondition, "container \(id) cannot be resumed: it is \(container.status)")
        }
        try await runtime.run(["resume", id], what: "resume \(id)")
        container.setStatus(.running)
    }

    func stats(_ id: String) throws -> Grpc_StatsContainerResponse {
        let container = try container(id)
        guard container.initProcess.exitStatus == nil else {
            throw AgentError(.failedPrecondition, "container \(id) has no cgroup figures: it is stopped")
        }
        var response = Grpc_StatsContainerResponse()
        response.cgroupStats = try CgroupStats(pid: container.initProcess.pid).stats()
        return response
    }

    func update(_ request: Grpc_UpdateContainerRequest) async throws {
        let container = try container(request.containerID)
        let file = container.bundle + "/resources.json"
        try writeFile(file, try OCIResources(request.resources).guestSubset.json(), mode: 0o600)
        defer { unlink(file) }
        try await runtime.run(["update", "--resources", file, container.id], what: "update \(container.id)")
    }

    func removeContainer(_ id: String, timeout: UInt32) async throws {
        let container = try container(id)
        if container.initProcess.exitStatus == nil {
            if container.status != .created {
                _ = try? await runtime.run(["kill", "--all", id, "9"], what: "kill \(id)")
            } else {
                try? container.initProcess.signal(SIGKILL)
            }
            let waited = await withTaskGroup(of: Bool.self) { group in
                group.addTask { _ = await container.initProcess.wait(); return true }
                group.addTask {
                    try? await Task.sleep(nanoseconds: UInt64(timeout == 0 ? 10 : timeout) * 1_000_000_000)
                    return false
                }
                let first = await group.next()!
                group.cancelAll()
                return first
            }
            if !waited {
                throw AgentError(.deadlineExceeded, "container \(id): processes still running after \(timeout == 0 ? 10 : timeout) s")
            }
        }
        _ = try? await runtime.run(["delete", "--force", id], what: "delete \(id)")
        for process in [container.initProcess] + container.execs { await process.closeStreams() }
        oomWatchers.removeValue(forKey: id)?.cancel()
        container.mounts.reversed().forEach(StorageMounter.unmount)
        container.pulledImages.reversed().forEach(GuestPullStorage.unmount)
        removeTree(container.bundle)
        containers.removeValue(forKey: id)
    }

    var containerCount: Int { containers.count }

    // MARK: OOM

    /// Returns once the container's OOM watcher has taken its last look
    /// after the init process exited (at most one poll interval).
    func oomSettled(_ containerID: String) async {
        await oomWatchers[containerID]?.value
    }

    private func watchOOM(_ container: AgentContainer) {
        let pid = container.initProcess.pid
        let id = container.id
        let events = oomEvents
        oomWatchers[id] = Task.detached {
            // The cgroup is read once: the files stay readable while the process lives.
            guard let cgroup = try? CgroupStats(pid: pid) else { return }
            var seen = cgroup.oomKills()
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 100_000_000)
                let now = cgroup.oomKills()
                if now > seen {
                    seen = now
                    events.push(id)
                }
                if container.initProcess.exitStatus != nil {
                    // One last look: the OOM kill may be what ended it.
                    if cgroup.oomKills() > seen { events.push(id) }
                    return
                }
            }
        }
    }
}

/// Container ids whose cgroup saw an OOM kill, for GetOOMEvent's long poll.
/// A cancelled poll (the host went away) leaves its place, so no event is lost.
final class OOMEventQueue: Sendable {
    private struct State {
        var events: [String] = []
        var waiters: [(id: UInt64, continuation: CheckedContinuation<String?, Never>)] = []
        var nextID: UInt64 = 0
    }
    private let state = NIOLockedValueBox(State())

    func push(_ id: String) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<String?, Never>? in
            if state.waiters.isEmpty { state.events.append(id); return nil }
            return state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: id)
    }

    /// The next event; nil when the calling task is cancelled.
    func next() async -> String? {
        let ticket = state.withLockedValue { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state -> String?? in
                    if !state.events.isEmpty { return .some(state.events.removeFirst()) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters.append((ticket, continuation))
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<String?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == ticket }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }
}

extension OCISpec {
    /// What this agent hands crun: no seccomp filter or Intel RDT schema, and
    /// only the resources it applies (see `OCIResources.guestSubset`).
    fileprivate var guestSubset: OCISpec {
        var spec = self
        spec.linux?.seccomp = nil
        spec.linux?.intelRdt = nil
        spec.linux?.resources = linux?.resources?.guestSubset
        return spec
    }
}

extension OCIResources {
    /// Memory limit, reservation, swap and OOM killer; CPU shares, CFS quota
    /// and period, cpuset; pids. Device, block I/O, huge page and network
    /// rules are left to the host side.
    fileprivate var guestSubset: OCIResources {
        OCIResources(
            memory: memory.map {
                Memory(limit: $0.limit, reservation: $0.reservation, swap: $0.swap, disableOOMKiller: $0.disableOOMKiller)
            },
            cpu: cpu.map { CPU(shares: $0.shares, quota: $0.quota, period: $0.period, cpus: $0.cpus, mems: $0.mems) },
            pids: pids)
    }
}
