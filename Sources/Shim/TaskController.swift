#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Agent
import Files
import Glibc
import KataConfig
import Logging
import OCI
import Protocols
import Runtime
import SwiftProtobuf
import TTRPC

/// The Task API's logic for one shim: the sandbox it owns, the containers
/// and processes containerd created in it, their events. Calls that touch the
/// same process are ordered by this actor; long waits (Wait, the agent's
/// WaitProcess, stream copies) happen outside it.
actor TaskController {
    struct Settings: Sendable {
        var namespace: String
        /// ConfigPath from `start`'s runtime options, if any.
        var startConfigPath: String?
        var environment: [String: String]
        /// Prefix of Kata's host paths (empty in production; tests may move them).
        var stateRoot: String = ""
        var hostCgroupV2: Bool
    }

    private let settings: Settings
    private let publisher: EventPublisher?
    private let logger: Logger
    private var sandbox: Sandbox?
    private var sandboxTaskID: String?
    private var containers: [String: ShimContainer] = [:]
    /// Set once the sandbox is being torn down on purpose (its VM's exit is then no failure).
    private var tearingDown = false
    private var teardown: Task<Void, Never>?
    /// The sandbox's management socket (`TaskController+Management`).
    var managementServer: ShimManagementServer?
    /// Whether the sandbox's teardown has begun (for the extensions).
    var isTearingDown: Bool { teardown != nil || tearingDown }
    /// When the last call arrived: a shim nobody talks to exits.
    private(set) var everCalled = false

    init(settings: Settings, publisher: EventPublisher?, logger: Logger) {
        self.settings = settings
        self.publisher = publisher
        self.logger = logger
    }

    var isEmpty: Bool { containers.isEmpty }
    /// QEMU's pid: what the Task API reports for every process (the shim cannot see guest pids).
    private(set) var vmPID: UInt32 = 0

    func noteCall() { everCalled = true }

    private func publish(_ event: any SwiftProtobuf.Message) async {
        do {
            try await publisher?.publish(event)
        } catch {
            logger.error("cannot publish \(type(of: event).protoMessageName): \(error)")
        }
    }

    func flushEvents() async { await publisher?.flush() }

    private func container(_ id: String) throws -> ShimContainer {
        guard let container = containers[id] else { throw TaskError.notFound("container \(id)") }
        return container
    }

    private func process(_ id: String, _ execID: String) throws -> (ShimContainer, ShimProcess) {
        let container = try container(id)
        guard let process = container.process(execID) else { throw TaskError.notFound("process \(execID) of container \(id)") }
        return (container, process)
    }

    // MARK: Create

    func create(_ request: Containerd_Task_V2_CreateTaskRequest) async throws -> Containerd_Task_V2_CreateTaskResponse {
        let started = ContinuousClock.now
        guard containers[request.id] == nil else { throw TaskError.alreadyExists("container \(request.id)") }
        guard request.checkpoint.isEmpty else { throw TaskError.unimplemented("restoring container \(request.id) from a checkpoint") }
        let specPath = request.bundle + "/config.json"
        let bytes: [UInt8]
        do { bytes = try readFile(specPath) } catch { throw TaskError.invalidArgument("\(error)") }
        let oci: OCISpec
        do { oci = try OCISpec(json: bytes, source: specPath) } catch { throw TaskError.invalidArgument("\(error)") }
        let spec = oci.agentSpec
        let kind: ContainerKind
        do { kind = try ContainerKind(annotations: spec.annotations) } catch { throw TaskError.invalidArgument("\(error)") }

        let sandbox: Sandbox
        if kind.ownsSandbox {
            guard self.sandbox == nil else {
                throw TaskError.failedPrecondition("cannot create another sandbox in sandbox \(sandboxTaskID ?? "")")
            }
            sandbox = try await bootSandbox(id: request.id, spec: spec, oci: oci, options: request.options, kind: kind)
            await startManagementServer(for: sandbox, bundle: request.bundle, logger: logger)
        } else {
            guard let existing = self.sandbox, existing.id == kind.sandboxID(taskID: request.id), teardown == nil else {
                throw TaskError.notFound("sandbox \(kind.sandboxID(taskID: request.id)) of container \(request.id) (not served by this shim)")
            }
            sandbox = existing
        }
        do {
            try await sandbox.createContainer(
                id: request.id, kind: kind, bundle: request.bundle, spec: spec,
                rootfs: request.rootfs.map { HostMount(type: $0.type, source: $0.source, options: $0.options) })
        } catch {
            if kind.ownsSandbox { await tearDownSandbox() }
            throw TaskError.failedPrecondition("create container \(request.id): \(error)")
        }
        let initProcess = ShimProcess(
            containerID: request.id, execID: "", agentExecID: request.id,
            stdio: .init(stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal))
        containers[request.id] = ShimContainer(id: request.id, bundle: request.bundle, kind: kind,
                                               rootfs: request.rootfs, initProcess: initProcess)
        let pid = vmPID
        var event = Containerd_Events_TaskCreate()
        event.containerID = request.id
        event.bundle = request.bundle
        event.rootfs = request.rootfs
        event.io.stdin = request.stdin
        event.io.stdout = request.stdout
        event.io.stderr = request.stderr
        event.io.terminal = request.terminal
        event.checkpoint = request.checkpoint
        event.pid = pid
        await publish(event)
        if kind.ownsSandbox { await logCreateSplit(request.id, sandbox: sandbox, total: ContinuousClock.now - started) }
        return .with { $0.pid = pid }
    }

    /// One line that says where a sandbox Create spent its time: waiting for
    /// QEMU, for the guest's agent, and the shim's own work (the rest).
    private func logCreateSplit(_ id: String, sandbox: Sandbox, total: Duration) async {
        func ms(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }
        let totalSeconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
        let steps = await sandbox.bootTimings
        let waited = steps.filter { !["virtiofsd", "network"].contains($0.step) }.reduce(0) { $0 + $1.seconds }
        let parts = steps.map { "\($0.step.replacing(" ", with: "_"))=\(ms($0.seconds))ms" }.joined(separator: " ")
        logger.info("create \(id): total=\(ms(totalSeconds))ms \(parts) shim_own=\(ms(totalSeconds - waited))ms")
    }

    private func bootSandbox(id: String, spec: Grpc_Spec, oci: OCISpec, options: Google_Protobuf_Any,
                             kind: ContainerKind) async throws -> Sandbox {
        var configPath = settings.startConfigPath
        if !options.typeURL.isEmpty {
            do {
                if let fromCreate = try StartInput.options(from: options)?.configPath, !fromCreate.isEmpty { configPath = fromCreate }
            } catch {
                throw TaskError.invalidArgument("\(error)")
            }
        }
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader(environment: settings.environment).load(configPath: configPath)
        } catch {
            throw TaskError.failedPrecondition("configuration: \(error)")
        }
        for warning in loaded.warnings { logger.warning("configuration: \(warning)") }
        let host = HostFacts.probe()
        let configuration: SandboxConfiguration
        do {
            configuration = try SandboxAnnotations(spec.annotations).apply(to: loaded, host: host)
        } catch {
            throw TaskError.invalidArgument("\(error)")
        }
        for warning in configuration.warnings { logger.warning("annotations: \(warning)") }
        // What `kata-runtime check` reports, before anything is started;
        // vhost-net only matters to a VM that gets a network device.
        let hasNetwork = (try? PodNetwork.namespacePath(of: spec)).flatMap { $0 } != nil
        let problems = HostRequirements.check(configuration.configuration, host: host)
            .filter { hasNetwork || $0.requirement != "/dev/vhost-net" }
        guard problems.isEmpty else {
            throw TaskError.failedPrecondition("this host cannot run \(loaded.path): "
                + problems.map(\.message).joined(separator: "; ") + " (kata-runtime check tells more)")
        }
        let workload: WorkloadResources = kind == .podSandbox
            ? WorkloadResources(criAnnotations: spec.annotations)
            : WorkloadResources(specResources: oci.linux?.resources)
        let request = Sandbox.BootRequest(sandboxID: id, spec: spec, workload: workload, host: host,
                                          paths: SandboxPaths(sandboxID: id, root: settings.stateRoot))
        logger.info("booting sandbox \(id) with \(loaded.path)")
        let sandbox: Sandbox
        do {
            sandbox = try await Sandbox.boot(request, configuration: configuration, logger: logger)
        } catch {
            throw TaskError.failedPrecondition("sandbox \(id): \(error)")
        }
        self.sandbox = sandbox
        self.sandboxTaskID = id
        vmPID = UInt32(await sandbox.vmPID)
        tearingDown = false
        await sandbox.watchHealth()
        Task { await self.watchVM(sandbox) }
        Task.detached { await self.forwardOOMEvents(sandbox) }
        return sandbox
    }

    /// The agent's GetOOMEvent long poll, as TaskOOM events (CRI marks the container OOMKilled).
    private nonisolated func forwardOOMEvents(_ sandbox: Sandbox) async {
        while true {
            let containerID: String
            do {
                containerID = try await sandbox.agent.nextOOMEvent()
            } catch {
                if await sandbox.isDestroyed { return }
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            await publish(Containerd_Events_TaskOOM.with { $0.containerID = containerID })
        }
    }

    /// A VM that dies ends every process still alive with 255 (and TaskExit).
    private func watchVM(_ sandbox: Sandbox) async {
        let reason = await sandbox.waitForVMExit()
        guard !tearingDown else { return }
        logger.error("sandbox \(sandbox.id): \(reason)")
        for container in containers.values {
            for process in [container.initProcess] + Array(container.execs.values) {
                await finish(process, status: 255)
            }
        }
        await tearDownSandbox()
    }

    // MARK: Start

    func start(_ request: Containerd_Task_V2_StartRequest) async throws -> Containerd_Task_V2_StartResponse {
        let (container, process) = try process(request.id, request.execID)
        guard let sandbox else { throw TaskError.failedPrecondition("container \(request.id) has no sandbox") }
        guard process.state == .created else { throw TaskError.failedPrecondition("\(process.eventID): cannot start a \(process.state) process") }
        let streams = AgentProcessStreams(agent: sandbox.agent, containerID: container.id, execID: process.agentExecID)
        let io: ProcessIO
        do {
            io = try await ProcessIO.open(stdin: process.stdio.stdin, stdout: process.stdio.stdout, stderr: process.stdio.stderr,
                               terminal: process.stdio.terminal, containerID: container.id, namespace: settings.namespace)
        } catch {
            await finish(process, status: 255)
            throw TaskError.invalidArgument("\(error)")
        }
        do {
            if process.isInit {
                try await sandbox.agent.startContainer(container.id)
            } else {
                var exec = Grpc_ExecProcessRequest()
                exec.containerID = container.id
                exec.execID = process.agentExecID
                exec.process = process.process ?? Grpc_Process()
                try await sandbox.agent.execProcess(exec)
                let size = exec.process.consoleSize
                if process.stdio.terminal && size.height > 0 && size.width > 0 {
                    try? await sandbox.agent.resizeTerminal(container: container.id, exec: process.agentExecID,
                                                            rows: size.height, columns: size.width)
                }
            }
        } catch {
            await io.close()
            // Waiters are released with 255, as Kata does.
            await finish(process, status: 255)
            throw TaskError.failedPrecondition("start \(process.eventID): \(error)")
        }
        // The VM may have died while the agent started it.
        do {
            try process.transition(.start)
        } catch {
            await io.close()
            throw error
        }
        process.io = io
        io.start(streams)
        let pid = vmPID
        // Before anything can publish this process's exit.
        if process.isInit {
            await publish(Containerd_Events_TaskStart.with { $0.containerID = container.id; $0.pid = pid })
        } else {
            await publish(Containerd_Events_TaskExecStarted.with { $0.containerID = container.id; $0.execID = process.execID; $0.pid = pid })
        }
        if process.stdio.stdin.isEmpty {
            // Nothing will ever come: let the process see EOF at once.
            try? await sandbox.agent.closeStdin(container: container.id, exec: process.agentExecID)
        }
        Task.detached { await self.reapWhenDone(process, io: io, agent: sandbox.agent) }
        return .with { $0.pid = pid }
    }

    /// Kata's `wait()`: output drained first, then WaitProcess; 255 when the agent cannot say.
    private nonisolated func reapWhenDone(_ process: ShimProcess, io: ProcessIO, agent: AgentClient) async {
        await io.outputDrained()
        let status: UInt32
        do {
            let code = try await agent.waitProcess(container: process.containerID, exec: process.agentExecID)
            status = UInt32(bitPattern: code)
        } catch {
            status = 255
        }
        await finish(process, status: status)
    }

    /// Records an exit once, publishes TaskExit, and for the sandbox's own
    /// container tears the VM down after the event (as Kata does).
    private func finish(_ process: ShimProcess, status: UInt32) async {
        guard process.recordExit(status: status) else { return }
        if let io = process.io { Task.detached { await io.close() } }
        let exit = process.exit!
        var event = Containerd_Events_TaskExit()
        event.containerID = process.containerID
        event.id = process.eventID
        event.pid = vmPID
        event.exitStatus = exit.status
        event.exitedAt = exit.at
        await publish(event)
        if process.isInit, process.containerID == sandboxTaskID {
            await tearDownSandbox()
        }
    }

    /// Stops every container, destroys the sandbox, undoes the host side.
    private func tearDownSandbox() async {
        if let teardown { return await teardown.value }
        guard let sandbox else { return }
        tearingDown = true
        let running = containers.values.filter { $0.initProcess.state != .stopped }.map(\.id)
        let task = Task {
            await stopManagementServer()
            for id in running { await sandbox.removeContainer(id: id, processRunning: true) }
            await sandbox.destroy()
        }
        teardown = task
        await task.value
        // Processes the VM took with it.
        for container in containers.values {
            for process in [container.initProcess] + Array(container.execs.values) where process.exit == nil {
                await finish(process, status: 255)
            }
        }
    }

    // MARK: Delete

    func delete(_ request: Containerd_Task_V2_DeleteRequest) async throws -> Containerd_Task_V2_DeleteResponse {
        let (container, process) = try process(request.id, request.execID)
        let pid = vmPID
        guard process.state != .deleted else { throw TaskError.notFound("container \(request.id) (being deleted)") }
        if !process.isInit {
            guard process.state == .stopped || process.state == .created else {
                throw TaskError.failedPrecondition("exec \(process.execID) is \(process.state): kill it and wait for its exit first")
            }
            // A never-started exec: its waiters learn that it is gone.
            _ = process.recordExit(status: 255)
            await process.io?.close()
            container.execs[request.execID] = nil
            let exit = process.exit
            return .with {
                $0.pid = pid
                $0.exitStatus = exit?.status ?? 0
                if let at = exit?.at { $0.exitedAt = at }
            }
        }
        try process.transition(.delete)
        if process.exit == nil {
            // Deleted before it ever ran: release its waiters (no TaskExit: containerd deletes it).
            _ = process.recordExit(status: 255)
        }
        if container.id == sandboxTaskID {
            await tearDownSandbox()
        } else if let sandbox {
            await sandbox.removeContainer(id: container.id, processRunning: process.exit == nil)
        }
        await process.io?.close()
        for exec in container.execs.values { await exec.io?.close() }
        containers[container.id] = nil
        let exit = process.exit
        var event = Containerd_Events_TaskDelete()
        event.containerID = container.id
        event.pid = pid
        event.exitStatus = exit?.status ?? 0
        if let at = exit?.at { event.exitedAt = at }
        event.id = container.id
        await publish(event)
        return .with {
            $0.pid = pid
            $0.exitStatus = exit?.status ?? 0
            if let at = exit?.at { $0.exitedAt = at }
        }
    }

    // MARK: Exec, Kill, State, Wait

    func exec(_ request: Containerd_Task_V2_ExecProcessRequest) async throws {
        let container = try container(request.id)
        guard container.execs[request.execID] == nil, !request.execID.isEmpty else {
            throw TaskError.alreadyExists("exec \(request.execID) of container \(request.id)")
        }
        guard container.initProcess.state == .running else {
            throw TaskError.failedPrecondition("container \(request.id) is \(container.initProcess.state): exec needs a running container")
        }
        let process: OCIProcess
        do {
            process = try OCIProcess(json: Array(request.spec.value), source: "Exec \(request.execID) spec")
        } catch {
            throw TaskError.invalidArgument("\(error)")
        }
        var agentProcess = process.agentProcess
        agentProcess.terminal = request.terminal
        container.execs[request.execID] = ShimProcess(
            containerID: request.id, execID: request.execID, agentExecID: UUID().uuidString.lowercased(),
            stdio: .init(stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal),
            process: agentProcess)
        await publish(Containerd_Events_TaskExecAdded.with { $0.containerID = request.id; $0.execID = request.execID })
    }

    func kill(_ request: Containerd_Task_V2_KillRequest) async throws {
        let (container, process) = try process(request.id, request.execID)
        if process.state == .stopped || process.state == .deleted {
            // CRI stops with TERM then KILL: both are fine on an exited process.
            if process.isInit && (request.signal == UInt32(SIGKILL) || request.signal == UInt32(SIGTERM)) { return }
            throw TaskError.notFound("process already finished")
        }
        guard let sandbox else { throw TaskError.notFound("process already finished") }
        if !process.isInit && process.state == .created {
            throw TaskError.failedPrecondition("exec \(process.execID) has not started")
        }
        do {
            // The init process: every process of the container (Kata forces `all`).
            try await sandbox.agent.signalProcess(container: container.id, exec: process.isInit ? "" : process.agentExecID,
                                                  signal: Int32(bitPattern: request.signal))
        } catch let error as AgentCallError where error.status.code == .notFound || error.status.message.contains("No such process") {
            return
        } catch {
            throw TaskError.failedPrecondition("kill \(process.eventID): \(error)")
        }
        if process.isInit && process.state == .created {
            // Nobody reaps a container that never started: wait for it here.
            let agent = sandbox.agent
            Task.detached {
                let code = try? await agent.waitProcess(container: container.id, exec: "")
                await self.finish(process, status: code.map { UInt32(bitPattern: $0) } ?? 255)
            }
        }
    }

    func state(_ request: Containerd_Task_V2_StateRequest) async throws -> Containerd_Task_V2_StateResponse {
        let (container, process) = try process(request.id, request.execID)
        let pid = vmPID
        let exit = process.exit
        return .with {
            $0.id = container.id
            $0.execID = process.execID
            $0.bundle = container.bundle
            $0.pid = pid
            $0.status = Containerd_V1_Types_Status(rawValue: process.state.containerdStatus) ?? .unknown
            $0.stdin = process.stdio.stdin
            $0.stdout = process.stdio.stdout
            $0.stderr = process.stdio.stderr
            $0.terminal = process.stdio.terminal
            $0.exitStatus = exit?.status ?? 0
            if let at = exit?.at { $0.exitedAt = at }
        }
    }

    /// The process to wait for; the wait itself happens off the actor.
    func processToWait(_ request: Containerd_Task_V2_WaitRequest) throws -> ShimProcess {
        try process(request.id, request.execID).1
    }

    func pids(_ request: Containerd_Task_V2_PidsRequest) async throws -> Containerd_Task_V2_PidsResponse {
        _ = try container(request.id)
        let pid = vmPID
        return .with { $0.processes = [.with { $0.pid = pid }] }
    }

    // MARK: Pause, Resume, Stats, Update, IO

    func pause(_ request: Containerd_Task_V2_PauseRequest) async throws {
        let (container, process) = try process(request.id, "")
        guard let sandbox else { throw TaskError.failedPrecondition("container \(request.id) has no sandbox") }
        try process.transition(.pause)
        do {
            try await sandbox.agent.pauseContainer(container.id)
        } catch {
            _ = try? process.transition(.resume)
            throw TaskError.failedPrecondition("pause \(request.id): \(error)")
        }
        try process.transition(.paused)
        await publish(Containerd_Events_TaskPaused.with { $0.containerID = container.id })
    }

    func resume(_ request: Containerd_Task_V2_ResumeRequest) async throws {
        let (container, process) = try process(request.id, "")
        guard let sandbox else { throw TaskError.failedPrecondition("container \(request.id) has no sandbox") }
        guard process.state == .paused || process.state == .pausing else {
            throw TaskError.failedPrecondition("\(request.id): cannot resume a \(process.state) process")
        }
        do {
            try await sandbox.agent.resumeContainer(container.id)
        } catch {
            throw TaskError.failedPrecondition("resume \(request.id): \(error)")
        }
        try process.transition(.resume)
        await publish(Containerd_Events_TaskResumed.with { $0.containerID = container.id })
    }

    func stats(_ request: Containerd_Task_V2_StatsRequest) async throws -> Containerd_Task_V2_StatsResponse {
        let container = try container(request.id)
        guard let sandbox, container.initProcess.exit == nil else {
            throw TaskError.failedPrecondition("container \(request.id) is not running")
        }
        let stats: Grpc_StatsContainerResponse
        do { stats = try await sandbox.agent.statsContainer(container.id) } catch {
            throw TaskError.failedPrecondition("stats \(request.id): \(error)")
        }
        return .with { $0.stats = (try? ContainerMetrics.any(from: stats, hostCgroupV2: settings.hostCgroupV2)) ?? Google_Protobuf_Any() }
    }

    func update(_ request: Containerd_Task_V2_UpdateTaskRequest) async throws {
        let container = try container(request.id)
        guard let sandbox else { throw TaskError.failedPrecondition("container \(request.id) has no sandbox") }
        let resources: OCIResources
        do {
            resources = try OCIResources(json: Array(request.resources.value), source: "Update \(request.id) resources")
        } catch {
            throw TaskError.invalidArgument("\(error)")
        }
        do {
            try await sandbox.agent.updateContainer(container.id, resources: resources.agentResources)
        } catch {
            throw TaskError.failedPrecondition("update \(request.id): \(error)")
        }
    }

    func resizePty(_ request: Containerd_Task_V2_ResizePtyRequest) async throws {
        let (container, process) = try process(request.id, request.execID)
        guard let sandbox, process.state == .running || process.state == .paused else { return }
        do {
            try await sandbox.agent.resizeTerminal(container: container.id, exec: process.agentExecID,
                                                   rows: request.height, columns: request.width)
        } catch {
            throw TaskError.failedPrecondition("resize \(process.eventID): \(error)")
        }
    }

    /// The process whose stdin CloseIO closes (the closing waits off the actor).
    func processForCloseIO(_ request: Containerd_Task_V2_CloseIORequest) throws -> ShimProcess {
        try process(request.id, request.execID).1
    }

    // MARK: Shutdown

    /// Destroys whatever is left (SIGTERM, Shutdown with `now`).
    func terminate() async {
        await tearDownSandbox()
        await publisher?.flush()
    }
}

extension WorkloadResources {
    /// A single container's own limits (ctr run --memory-limit, --cpus).
    init(specResources resources: OCIResources?) {
        self.init(cpuQuota: resources?.cpu?.quota ?? 0, cpuPeriod: resources?.cpu?.period ?? 0,
                  cpuShares: resources?.cpu?.shares ?? 0, memoryLimitBytes: resources?.memory?.limit ?? 0)
    }
}
