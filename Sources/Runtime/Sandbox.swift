#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Agent
import ChildProcesses
import CLinux
import Files
import Glibc
import Hypervisor
import KataConfig
import Logging
import NIOCore
import Protocols
import TTRPC

/// One pod's VM: QEMU, virtiofsd and the shared directory on the host, the
/// agent in the guest, and the containers created in it. Knows nothing of
/// containerd: the shim's task service drives it.
public actor Sandbox {
    public nonisolated let id: String
    public nonisolated let paths: SandboxPaths
    public nonisolated let configuration: SandboxConfiguration
    public nonisolated let agent: AgentClient
    private let logger: Logger
    private var vm: VirtualMachine?
    private var virtiofsd: VirtioFSDaemon?
    private var cgroup: SandboxCgroup?
    /// The pod's network (taps and filters in its namespace), when it has one.
    private var network: PodNetwork?
    private var record: SandboxRecord
    /// Host mount points made per container (rootfs, shared paths), to undo at removal.
    private var containerMounts: [String: [String]] = [:]
    private var destroyed = false
    /// Time spent in each boot step (for the benchmark and the debug log).
    public private(set) var bootTimings: [(step: String, seconds: Double)] = []

    /// What booting needs besides the configuration.
    public struct BootRequest: Sendable {
        public var sandboxID: String
        /// The sandbox's spec, in agent form (hostname, resolv.conf mount).
        public var spec: Grpc_Spec
        /// The workload's resources, for static sizing.
        public var workload: WorkloadResources
        public var host: HostFacts
        public var paths: SandboxPaths

        public init(sandboxID: String, spec: Grpc_Spec, workload: WorkloadResources, host: HostFacts, paths: SandboxPaths) {
            self.sandboxID = sandboxID
            self.spec = spec
            self.workload = workload
            self.host = host
            self.paths = paths
        }
    }

    public struct BootError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    private init(id: String, paths: SandboxPaths, configuration: SandboxConfiguration, agent: AgentClient, logger: Logger) {
        self.id = id
        self.paths = paths
        self.configuration = configuration
        self.agent = agent
        self.logger = logger
        self.record = SandboxRecord(sandboxID: id)
    }

    /// Boots the VM and runs Kata's agent sequence up to (not including) the
    /// first container: Check → SetPolicy → CreateSandbox → GetGuestDetails.
    /// On failure everything it made is undone before the error is thrown.
    public static func boot(_ request: BootRequest, configuration: SandboxConfiguration, logger: Logger) async throws -> Sandbox {
        let hypervisor = configuration.configuration.hypervisor
        let paths = request.paths
        let sizing = SandboxSizing(configuration: configuration.configuration, workload: request.workload, host: request.host)
        var plan = SandboxPlan(
            sandboxID: request.sandboxID, uuid: UUID().uuidString.lowercased(), runDirectory: paths.vmDirectory,
            sizing: sizing, kernelParameters: [], agent: .virtioSerial(socket: ""))
        var vsock: VhostVsockContext?
        let endpoint: TTRPCEndpoint
        switch hypervisor.agentChannel {
        case .virtioSerial:
            plan.agent = .virtioSerial(socket: plan.agentSerialSocketPath)
            endpoint = .unix(path: plan.agentSerialSocketPath)
        case .vsock:
            let claimed = try VhostVsock.claim()
            vsock = claimed
            plan.agent = .vsock(cid: claimed.cid, descriptor: 4)
            endpoint = .vsock(cid: claimed.cid, port: 1024)
        }
        var timeouts = AgentTimeouts()
        timeouts.createContainer = .seconds(Int64(configuration.configuration.runtime.createContainerTimeoutSeconds))
        let sandbox = Sandbox(id: request.sandboxID, paths: paths, configuration: configuration,
                              agent: AgentClient(endpoint: endpoint, timeouts: timeouts), logger: logger)
        do {
            try await sandbox.start(request, plan: plan, sizing: sizing, vsock: vsock)
        } catch {
            logger.error("sandbox \(request.sandboxID) did not start: \(error)")
            await sandbox.destroy(gracefully: false)
            throw error
        }
        return sandbox
    }

    private func timed<T>(_ step: String, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        let value = try await body()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bootTimings.append((step, seconds))
        logger.debug("sandbox \(id): \(step) took \(Int(seconds * 1000)) ms")
        return value
    }

    private func start(_ request: BootRequest, plan initialPlan: SandboxPlan, sizing: SandboxSizing,
                       vsock: VhostVsockContext?) async throws {
        // QEMU holds its own copies once started; ours go whatever happens.
        var tapDescriptors: [Int32] = []
        defer {
            if let vsock { close(vsock.descriptor) }
            for fd in tapDescriptors { close(fd) }
        }
        var plan = initialPlan
        let hypervisor = configuration.configuration.hypervisor
        let networkNamespace = try PodNetwork.namespacePath(of: request.spec)
        try makeDirectories(paths.stateDirectory, mode: 0o700)
        try makeDirectories(paths.vmDirectory, mode: 0o700)
        try record.write(to: paths)
        // QEMU and virtiofsd go where containerd (and kubelet) account the pod.
        cgroup = try SandboxCgroup.create(path: request.spec.linux.cgroupsPath)
        record.cgroups = cgroup?.directories ?? []
        try record.write(to: paths)

        switch hypervisor.sharedFS {
        case .virtioFS:
            try makeDirectories(paths.sharedDirectory, mode: 0o700)
            try Mounter.makeSharedMountPoint(paths.sharedDirectory)
            let daemon = try await timed("virtiofsd") {
                try VirtioFSDaemon.start(hypervisor: hypervisor, sharedDirectory: paths.sharedDirectory,
                                         socketPath: plan.virtioFSSocketPath, logger: logger)
            }
            virtiofsd = daemon
            record.virtiofsd = SandboxRecord.process(daemon.pid)
            try cgroup?.add(daemon.pid)
            plan.sharedFilesystem = .virtioFS(socketPath: plan.virtioFSSocketPath,
                                              deviceID: String(UInt64.random(in: 1...UInt64.max), radix: 16).leftPadded(to: 16))
        case .virtio9P:
            try makeDirectories(paths.sharedDirectory, mode: 0o700)
            try Mounter.makeSharedMountPoint(paths.sharedDirectory)
            plan.sharedFilesystem = .virtio9P(hostPath: paths.sharedDirectory)
        case .none:
            plan.sharedFilesystem = .none
        }

        if let networkNamespace {
            let (network, descriptors) = try await timed("network") {
                try await PodNetwork.attach(namespacePath: networkNamespace, logger: logger)
            }
            self.network = network
            tapDescriptors = descriptors
            // QEMU numbers: 3 is QMP, 4 the vhost-vsock descriptor when there is one.
            plan.networks = network.taps(firstDescriptor: vsock == nil ? 4 : 5)
        }

        plan.kernelParameters = try KernelCommandLine.compose(configuration, sizing: sizing)
        plan.debug = configuration.configuration.runtime.enableDebug
        if let image = hypervisor.image, !image.isEmpty {
            var st = stat()
            guard stat(image, &st) == 0 else {
                throw BootError(description: "guest image \(image) (hypervisor.qemu.image): \(String(cString: strerror(errno)))")
            }
            plan.imageSize = UInt64(st.st_size)
        }
        if let initData = configuration.initData {
            // The guest's agent reads its policy from this disk (Kata's layout and path).
            try makeDirectories(paths.initDataDirectory, mode: 0o700)
            try writeFile(paths.initDataImage, initData.diskImage(), mode: 0o600)
            plan.initData = SandboxPlan.InitDataDisk(imagePath: paths.initDataImage, initData: initData)
        }
        let argv = try QEMUCommandLine.arguments(for: hypervisor, plan: plan)
        logger.debug("QEMU: \(argv.joined(separator: " "))")
        var descriptors: [(source: Int32, target: Int32)] = vsock.map { [($0.descriptor, Int32(4))] } ?? []
        for (fd, tap) in zip(tapDescriptors, plan.networks) { descriptors.append((fd, tap.tapDescriptors[0])) }
        let launch = VirtualMachine.Launch(
            arguments: argv, descriptors: descriptors,
            runDirectory: plan.runDirectory, qmpSocket: plan.qmpSocketPath,
            qmpDescriptor: plan.qmpDescriptor, consoleSocket: plan.consoleSocketPath)
        let vm = try await timed("qemu") { try await VirtualMachine.launch(launch, logger: logger) }
        self.vm = vm
        record.qemu = SandboxRecord.process(vm.pid)
        try record.write(to: paths)
        try cgroup?.add(vm.pid)

        let dialTimeout = TimeAmount.seconds(Int64(configuration.configuration.agent.dialTimeoutSeconds))
        try await timed("agent ready") {
            try await withVMDeath(vm) { try await self.agent.waitUntilReady(timeout: dialTimeout) }
        }
        try await timed("agent sandbox") {
            if let policy = configuration.agentPolicy { try await agent.setPolicy(policy) }
            if let network {
                for interface in network.agentInterfaces { try await agent.updateInterface(interface) }
                if !network.routes.isEmpty { try await agent.updateRoutes(network.routes) }
            }
            var create = Grpc_CreateSandboxRequest()
            let identity = SandboxIdentity(spec: request.spec) { try? readTextFile($0) }
            create.hostname = identity.hostname
            create.dns = identity.dns
            create.sandboxID = id
            create.storages = sandboxStorages()
            try await agent.createSandbox(create)
            _ = try await agent.guestDetails()
        }
    }

    /// Fails `body` as soon as QEMU exits, with what QEMU said.
    private func withVMDeath<T: Sendable>(_ vm: VirtualMachine, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                // Polls, so that cancellation (the body finished) ends it.
                while vm.exitStatus == nil { try await Task.sleep(for: .milliseconds(50)) }
                throw BootError(description: "QEMU exited (\(vm.exitStatus!)) before the agent answered")
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
            }
            throw CancellationError()
        }
    }

    /// CreateSandbox's storages: the share (virtio-fs or 9p) and the sandbox shm.
    private func sandboxStorages() -> [Grpc_Storage] {
        var storages: [Grpc_Storage] = []
        var shared = Grpc_Storage()
        shared.source = "kataShared"
        shared.mountPoint = SandboxPaths.guestSharedDirectory
        switch configuration.configuration.hypervisor.sharedFS {
        case .virtioFS:
            shared.driver = "virtio-fs"
            shared.fstype = "virtiofs"
            storages.append(shared)
        case .virtio9P:
            shared.driver = "9p"
            shared.fstype = "9p"
            shared.options = ["trans=virtio,version=9p2000.L,cache=mmap", "nodev", "msize=8192"]
            storages.append(shared)
        case .none:
            break
        }
        var shm = Grpc_Storage()
        shm.driver = "ephemeral"
        shm.source = "shm"
        shm.fstype = "tmpfs"
        shm.mountPoint = SandboxPaths.guestSandboxShm
        shm.options = ["noexec", "nosuid", "nodev", "mode=1777", "size=\(64 << 20)"]
        storages.append(shm)
        return storages
    }

    // MARK: Containers

    /// Shares the container's rootfs and bind mounts and sends CreateContainer.
    /// - Parameters:
    ///   - rootfs: containerd's mounts for the rootfs (mounted at `<bundle>/rootfs`);
    ///     empty when the bundle's rootfs directory is already prepared.
    public func createContainer(id containerID: String, kind: ContainerKind, bundle: String,
                                spec: Grpc_Spec, rootfs: [HostMount]) async throws {
        guard !destroyed else { throw BootError(description: "sandbox \(id) is gone: cannot create container \(containerID) in it") }
        // A guest-pull rootfs is never mounted on the host: the guest pulls the image.
        let guestPull = try GuestPullVolume.from(rootfs: rootfs, forced: configuration.configuration.runtime.forceGuestPull)
        let plan = try GuestContainerPlan(spec: spec, containerID: containerID, kind: kind, bundle: bundle,
                                          configuration: configuration.configuration, guestPull: guestPull) { path in
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            return (st.st_mode & S_IFMT) == S_IFDIR
        }
        var made: [String] = []
        do {
            if plan.sharesRootfs {
                let bundleRootfs = bundle + "/" + (spec.root.path.isEmpty ? "rootfs" : spec.root.path)
                let hostRootfs = spec.root.path.hasPrefix("/") ? spec.root.path : bundleRootfs
                if !rootfs.isEmpty {
                    try makeDirectories(hostRootfs)
                    made.append(hostRootfs)
                    for mount in rootfs { try Mounter.mount(mount, at: hostRootfs) }
                    record.bundles.append(bundle)
                    try record.write(to: paths)
                }
                let target = paths.sharedDirectory + "/" + containerID + "/rootfs"
                try makeDirectories(target)
                try Mounter.bind(hostRootfs, at: target)
                made.append(target)
            }
            let sharesFiles = configuration.configuration.hypervisor.sharedFS != .none
            for shared in plan.sharedPaths where !sharesFiles {
                try await copyIntoGuest(hostPath: shared.hostPath, guestPath: GuestContainerPlan.guestPath(shared.name))
            }
            for shared in plan.sharedPaths where sharesFiles {
                let target = paths.sharedDirectory + "/" + shared.name
                var st = stat()
                if stat(shared.hostPath, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                    try makeDirectories(target)
                } else {
                    let fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                    if fd >= 0 { close(fd) }
                }
                made.append(target)
                try Mounter.bind(shared.hostPath, at: target, readOnly: shared.readOnly)
            }
            containerMounts[containerID] = made
            guard !destroyed else { throw BootError(description: "sandbox \(id) went away while container \(containerID) was created") }
            var request = Grpc_CreateContainerRequest()
            request.containerID = containerID
            request.execID = containerID
            request.oci = plan.spec
            request.storages = plan.storages
            try await timed("agent container") { try await agent.createContainer(request) }
        } catch {
            containerMounts[containerID] = nil
            unmount(made, containerID: containerID)
            throw error
        }
    }

    /// Stops a container in the guest as Kata does (SIGKILL to all, wait,
    /// RemoveContainer) and undoes its host mounts. Agent errors are logged:
    /// the container may be gone with the VM already.
    public func removeContainer(id containerID: String, processRunning: Bool) async {
        if processRunning && !destroyed {
            do {
                try await agent.signalProcess(container: containerID, exec: "", signal: SIGKILL)
                // Bounded: an unkillable guest process must not keep the VM alive.
                _ = try await agent.waitProcess(container: containerID, exec: "", timeout: .seconds(10))
            } catch {
                logger.debug("stopping container \(containerID): \(error)")
            }
        }
        if !destroyed {
            do { try await agent.removeContainer(containerID) } catch { logger.debug("RemoveContainer \(containerID): \(error)") }
        }
        unmount(containerMounts.removeValue(forKey: containerID) ?? [], containerID: containerID)
    }

    /// Undoes exactly what `createContainer` made: its mount points, then its entries in the share.
    private func unmount(_ points: [String], containerID: String) {
        for point in points.reversed() { Mounter.unmountAll(point) }
        for point in points where point.hasPrefix(paths.sharedDirectory + "/") { Mounter.removeTree(point) }
        Mounter.removeTree(paths.sharedDirectory + "/" + containerID)
    }

    // MARK: The VM

    /// QEMU's pid (what the Task API reports as every process's pid).
    public var vmPID: Int32 { vm?.pid ?? 0 }

    /// Returns when QEMU has exited, with a reason; immediately if it never ran.
    public nonisolated func waitForVMExit() async -> String {
        guard let vm = await vm else { return "the VM never started" }
        return "QEMU exited: \(await vm.waitForExit())"
    }

    /// Starts QMP health checks (every 5 s, as Kata): a VM that stops
    /// working (hung, panicked) is killed, so that its exit ends its tasks.
    public func watchHealth() {
        guard let vm else { return }
        let logger = logger
        vm.watchHealth { reason in
            logger.error("sandbox VM unhealthy: \(reason): killing it")
            kill(vm.pid, SIGKILL)
        }
    }

    /// Kata's teardown: DestroySandbox (when `gracefully` and the VM still
    /// runs), SIGKILL QEMU, stop virtiofsd, undo every mount, remove the
    /// directories and the record. Idempotent.
    public func destroy(gracefully: Bool = true) async {
        guard !destroyed else { return }
        if gracefully, let vm, vm.exitStatus == nil {
            do { try await agent.destroySandbox() } catch { logger.debug("DestroySandbox: \(error)") }
        }
        destroyed = true
        await agent.close()
        await vm?.stop()
        await virtiofsd?.stop()
        await network?.detach(logger: logger)
        for (containerID, points) in containerMounts { unmount(points, containerID: containerID) }
        containerMounts = [:]
        for bundle in record.bundles { Mounter.unmountAll(bundle + "/rootfs") }
        cgroup?.remove()
        for directory in paths.directories { Mounter.removeTree(directory) }
    }

    public var isDestroyed: Bool { destroyed }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
