import ChildProcesses
import Glibc
import NIOConcurrencyHelpers

/// A process the agent started in a container: the container's init (exec id =
/// container id) or an exec. Holds its stdio and its exit status.
final class AgentProcess: Sendable {
    let containerID: String
    let execID: String
    let pid: pid_t
    let stdin: InputStream?
    let stdout: OutputStreamBuffer
    /// nil with a terminal: stdout and stderr are the same stream then.
    let stderr: OutputStreamBuffer?
    /// The terminal's master, kept for TtyWinResize.
    let terminal: Int32?

    private let exit = ExitLatch()

    init(containerID: String, execID: String, pid: pid_t, stdin: InputStream?, stdout: OutputStreamBuffer,
         stderr: OutputStreamBuffer?, terminal: Int32?, reaper: ChildReaper) {
        self.containerID = containerID
        self.execID = execID
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.terminal = terminal
        Task { [exit] in
            exit.record(await reaper.wait(for: pid))
        }
    }

    /// The exit status, once the process has ended.
    var exitStatus: ExitStatus? { exit.status }

    /// Waits until the process has ended.
    func wait() async -> ExitStatus { await exit.wait() }

    /// Sends `signal`; a process that has already ended is not an error.
    func signal(_ signal: Int32) throws {
        guard exitStatus == nil else { return }
        if kill(pid, signal) != 0 && errno != ESRCH {
            throw AgentError.failed("signal \(signal) to process \(execID) of container \(containerID): \(String(cString: strerror(errno)))")
        }
    }

    /// Ends the stdio streams (the process is gone or being removed).
    func closeStreams() async {
        await stdin?.close()
        stdout.close()
        stderr?.close()
        if let terminal { Glibc.close(terminal) }
    }
}

/// A container in the sandbox.
final class AgentContainer: Sendable {
    enum Status: Sendable { case created, running, paused, stopped }

    let id: String
    let bundle: String
    let initProcess: AgentProcess
    /// Storages mounted for this container, unmounted when it is removed.
    let mounts: [String]
    /// Images pulled for it (guest pull), unmounted and freed when it is removed.
    let pulledImages: [GuestPullStorage.Mounted]
    private let state: NIOLockedValueBox<(status: Status, execs: [String: AgentProcess])>

    init(id: String, bundle: String, initProcess: AgentProcess, mounts: [String], pulledImages: [GuestPullStorage.Mounted] = []) {
        self.id = id
        self.bundle = bundle
        self.initProcess = initProcess
        self.mounts = mounts
        self.pulledImages = pulledImages
        self.state = NIOLockedValueBox((.created, [:]))
    }

    var status: Status {
        get { state.withLockedValue { initProcess.exitStatus == nil ? $0.status : .stopped } }
    }

    func setStatus(_ status: Status) { state.withLockedValue { $0.status = status } }

    func process(_ execID: String) -> AgentProcess? {
        if execID.isEmpty || execID == id { return initProcess }
        return state.withLockedValue { $0.execs[execID] }
    }

    func addExec(_ process: AgentProcess) throws {
        try state.withLockedValue { state in
            guard state.execs[process.execID] == nil, process.execID != id else {
                throw AgentError(.alreadyExists, "exec \(process.execID) already exists in container \(id)")
            }
            state.execs[process.execID] = process
        }
    }

    var execs: [AgentProcess] { state.withLockedValue { Array($0.execs.values) } }
}
