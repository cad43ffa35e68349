import ChildProcesses
import CLinux
import Files
import Glibc
import Runtime

/// `containerd-shim-kata-v2 ... start`: finds or starts the shim that serves
/// this task and answers its address (Kata's `StartShim` and containerd's
/// shim library, kata-shim-compat §1.3). A pod's containers get their
/// sandbox's address and no new process; a sandbox or a lone container gets
/// a new long-running shim: this binary again, without `start`, its
/// listening socket as descriptor 3, in its own process group.
public enum StartCommand {
    /// The environment variable that hands `start`'s runtime options
    /// (`ConfigPath`) to the long-running shim, which cannot read them later.
    public static let configPathVariable = "KATA_SHIM_RUNTIME_CONFIG_PATH"
    /// How long a new shim waits for containerd's first call before it exits.
    public static let idleTimeoutVariable = "KATA_SHIM_IDLE_TIMEOUT"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Returns what to print on stdout (nothing else may be printed).
    public static func run(flags: ShimFlags, stdin: [UInt8], executable: String,
                           environment: [String], bundle: String) throws -> [UInt8] {
        let annotations = try BundleAnnotations.read(bundle: bundle)
        let input = try StartInput(stdin: stdin, taskID: flags.id)
        let kind = try ContainerKind(annotations: annotations)
        let group = kind.isPodContainer ? kind.sandboxID(taskID: flags.id) : ShimSocketAddress.groupID(taskID: flags.id, annotations: annotations)
        let address = try ShimSocketAddress(containerdAddress: flags.address, namespace: flags.namespace,
                                            groupID: group, socketDirectory: input.socketDirectory)
        let answer = try input.answer(for: address)

        // A pod's container, or a task grouped with a live shim: that shim serves it.
        if kind.isPodContainer || isServing(address.path) {
            try writeFileAtomically(bundle + "/address", Array(address.description.utf8))
            return answer
        }

        let directory = String(address.path[..<address.path.lastIndex(of: "/")!])
        _ = mkdir(directory, 0o700)
        let listener = cs_unix_listen(address.path)
        guard listener >= 0 else {
            throw Failure(description: "cannot listen on \(address.path): \(String(cString: strerror(-listener)))")
        }
        defer { close(listener) }
        chmod(address.path, 0o600)

        var arguments = [executable, "-namespace", flags.namespace, "-id", flags.id, "-address", flags.address]
        if !flags.publishBinary.isEmpty { arguments += ["-publish-binary", flags.publishBinary] }
        if flags.debug { arguments.append("-debug") }
        var childEnvironment = environment.filter { !$0.hasPrefix(configPathVariable + "=") }
        if let path = input.runtimeOptions?.configPath, !path.isEmpty {
            childEnvironment.append("\(configPathVariable)=\(path)")
        }
        // Before the server starts: it reads the file to know its socket.
        try writeFileAtomically(bundle + "/address", Array(address.description.utf8))
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        let pid: pid_t
        do {
            // Not reaped by us: this process exits right after printing.
            pid = try ChildReaper.shared.spawnDetached(
                executable, arguments, environment: childEnvironment,
                descriptors: [(devnull, 0), (devnull, 1), (devnull, 2), (listener, 3)], directory: bundle)
        } catch {
            unlink(address.path)
            throw Failure(description: "cannot start the shim server \(executable): \(error)")
        }
        raiseOOMScore(of: pid)
        do {
            try writeFileAtomically(bundle + "/shim.pid", Array(String(pid).utf8))
        } catch {
            kill(pid, SIGKILL)
            unlink(address.path)
            throw error
        }
        return answer
    }

    /// Whether a shim accepts connections on `path` (a dead socket file does not).
    static func isServing(_ path: String) -> Bool {
        let fd = cs_unix_connect(path)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// containerd's score + 1 for the new shim, so that under memory pressure
    /// the kernel picks the shim before containerd (lowering may be refused: best effort).
    static func raiseOOMScore(of pid: pid_t) {
        guard let text = try? readTextFile("/proc/\(getppid())/oom_score_adj"),
              let parent = Int(text.filter { !$0.isWhitespace }) else { return }
        try? writeFile("/proc/\(pid)/oom_score_adj", Array(String(min(1000, parent + 1)).utf8))
    }
}
