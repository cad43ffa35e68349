import ChildProcesses
import CLinux
import Files
import Glibc
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A running QEMU: started with an exact descriptor map, reaped by us, its
/// output and console read into the log, watched over QMP. `stop()` kills it
/// with SIGKILL and removes what it used (the runtime says DestroySandbox to
/// the agent before, as Kata does; this type never speaks to the agent).
public final class VirtualMachine: Sendable {
    /// What to start and where it lives.
    public struct Launch: Sendable {
        public var arguments: [String]
        /// Descriptors QEMU inherits: (ours → number in QEMU), e.g. a vhost-vsock fd.
        public var descriptors: [(source: Int32, target: Int32)]
        /// The VM's own directory (QMP socket, console socket, pidfile), removed by `stop()`.
        public var runDirectory: String
        /// QEMU's QMP socket: a listening socket we create and pass as `qmpDescriptor`.
        public var qmpSocket: String
        public var qmpDescriptor: Int32
        /// QEMU's console chardev socket, read into the log when set.
        public var consoleSocket: String?

        public init(arguments: [String], descriptors: [(source: Int32, target: Int32)] = [], runDirectory: String,
                    qmpSocket: String, qmpDescriptor: Int32 = 3, consoleSocket: String? = nil) {
            self.arguments = arguments
            self.descriptors = descriptors
            self.runDirectory = runDirectory
            self.qmpSocket = qmpSocket
            self.qmpDescriptor = qmpDescriptor
            self.consoleSocket = consoleSocket
        }
    }

    public struct LaunchError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let pid: pid_t
    public let qmp: QMPClient
    public let runDirectory: String
    private let exit: ExitLatch
    private let watchers = NIOLockedValueBox<[Task<Void, Never>]>([])
    private let logger: Logger

    private init(pid: pid_t, qmp: QMPClient, runDirectory: String,
                 exit: ExitLatch, logger: Logger) {
        self.exit = exit
        self.pid = pid
        self.qmp = qmp
        self.runDirectory = runDirectory
        self.logger = logger
    }

    /// Starts QEMU and connects to its QMP monitor. On failure nothing is left
    /// running and the error carries what QEMU printed.
    public static func launch(_ launch: Launch, reaper: ChildReaper = .shared, logger: Logger = Logger(label: "qemu")) async throws -> VirtualMachine {
        if mkdir(launch.runDirectory, 0o700) != 0 && errno != EEXIST {
            throw LaunchError(description: "cannot create \(launch.runDirectory): \(String(cString: strerror(errno)))")
        }
        let listener = cs_unix_listen(launch.qmpSocket)
        guard listener >= 0 else {
            throw LaunchError(description: "cannot listen on \(launch.qmpSocket): \(String(cString: strerror(-listener)))")
        }
        var output: [Int32] = [-1, -1]
        guard cs_pipe_cloexec(&output) == 0 else { close(listener); throw LaunchError(description: "pipe: \(String(cString: strerror(errno)))") }
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        let pid: pid_t
        do {
            pid = try reaper.spawn(launch.arguments[0], launch.arguments, environment: CommandRunner.defaultEnvironment,
                                   descriptors: [(devnull, 0), (output[1], 1), (output[1], 2), (listener, launch.qmpDescriptor)] + launch.descriptors,
                                   newProcessGroup: true)
        } catch {
            close(listener); close(devnull); close(output[0]); close(output[1])
            throw LaunchError(description: "\(error)")
        }
        close(listener); close(devnull); close(output[1])
        let lines = OutputLines(logger: logger, prefix: "qemu")
        let outputTask = Task.detached { await lines.read(descriptor: output[0]) }

        // The reaper reports QEMU's exit at any time, also while we wait for QMP
        // (a bad argument makes QEMU exit at once).
        let exit = ExitLatch()
        let exitTask = Task.detached {
            let status = await reaper.wait(for: pid)
            logger.info("QEMU \(pid) exited: \(status)")
            exit.record(status)
        }
        let qmp: QMPClient
        do {
            qmp = try await QMPClient.connect(path: launch.qmpSocket, timeout: .seconds(10)) { exit.status != nil }
        } catch {
            kill(pid, SIGKILL)
            _ = await exitTask.value
            _ = await outputTask.value
            let printed = lines.text
            throw LaunchError(description: "QEMU (\(launch.arguments[0])) did not start: \(error)\(printed.isEmpty ? "" : ": \(printed)")")
        }
        let vm = VirtualMachine(pid: pid, qmp: qmp, runDirectory: launch.runDirectory, exit: exit, logger: logger)
        var tasks = [outputTask, exitTask]
        if let console = launch.consoleSocket {
            let consoleLines = OutputLines(logger: logger, prefix: "guest console")
            tasks.append(Task.detached { await consoleLines.read(unixSocket: console) })
        }
        vm.watchers.withLockedValue { $0 = tasks }
        return vm
    }

    /// How QEMU ended, once it has.
    public var exitStatus: ExitStatus? { exit.status }

    /// Returns when QEMU has exited (for any reason).
    public func waitForExit() async -> ExitStatus { await exit.wait() }

    /// Asks QMP `query-status` every `interval`; the first failure (QEMU gone,
    /// QMP broken, status `internal-error` or `guest-panicked`) is reported
    /// once through `onFailure`. Also reports GUEST_PANICKED and SHUTDOWN events.
    public func watchHealth(interval: TimeAmount = .seconds(5), onFailure: @escaping @Sendable (String) -> Void) {
        let reported = NIOLockedValueBox(false)
        let report: @Sendable (String) -> Void = { reason in
            let first = reported.withLockedValue { done -> Bool in defer { done = true }; return !done }
            if first { onFailure(reason) }
        }
        let qmp = self.qmp
        let polling = Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval.nanoseconds))
                if Task.isCancelled { return }
                if let status = exitStatus { report("QEMU exited: \(status)"); return }
                do {
                    let status = try await qmp.queryStatus()
                    if status.status == "internal-error" || status.status == "guest-panicked" {
                        report("QEMU status \(status.status)")
                        return
                    }
                } catch {
                    report("QMP query-status failed: \(error)")
                    return
                }
            }
        }
        let events = Task.detached {
            for await event in qmp.events where ["GUEST_PANICKED", "SHUTDOWN"].contains(event.name) {
                report("QEMU event \(event.name) \(event.data)")
            }
        }
        watchers.withLockedValue { $0 += [polling, events] }
    }

    /// Kills QEMU (SIGKILL), waits until it is reaped and removes its directory.
    public func stop() async {
        if exitStatus == nil { kill(pid, SIGKILL) }
        _ = await waitForExit()
        await qmp.close()
        for task in watchers.withLockedValue({ $0 }) { task.cancel() }
        removeTree(runDirectory)
    }
}

/// Lines of a process's output or of a console socket, into the log (and the
/// last few kept, for error messages).
public final class OutputLines: Sendable {
    private let logger: Logger
    private let prefix: String
    private let tail = NIOLockedValueBox<[String]>([])

    public init(logger: Logger, prefix: String) {
        self.logger = logger
        self.prefix = prefix
    }

    /// The last lines read, joined.
    public var text: String { tail.withLockedValue { $0.joined(separator: "; ") } }

    private func add(_ line: Substring) {
        let text = String(line).trimmingCharacters(in: " ")
        guard !text.isEmpty else { return }
        logger.debug("\(prefix): \(text)")
        tail.withLockedValue { lines in
            lines.append(text)
            if lines.count > 20 { lines.removeFirst() }
        }
    }

    /// Reads `descriptor` to its end (and closes it) on a thread of its own:
    /// these reads last as long as the process, and must not hold a pool's thread.
    public func read(descriptor: Int32) async {
        await DedicatedThread.run { [self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = Glibc.read(descriptor, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending += buffer[0..<n]
                while let newline = pending.firstIndex(of: 10) {
                    add(Substring(String(decoding: pending[..<newline], as: UTF8.self)))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { add(Substring(String(decoding: pending, as: UTF8.self))) }
            close(descriptor)
        }
    }

    /// Connects to a console socket (QEMU serves it) and reads it until it closes.
    func read(unixSocket path: String) async {
        for _ in 0..<100 {
            let fd = cs_unix_connect(path)
            if fd >= 0 {
                await read(descriptor: fd)
                return
            }
            if Task.isCancelled { return }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }
}
