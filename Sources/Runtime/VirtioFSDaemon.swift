import ChildProcesses
import CLinux
import Glibc
import Hypervisor
import KataConfig
import Logging

/// virtiofsd serving the sandbox's shared directory to QEMU's
/// `vhost-user-fs-pci` device. We create its listening socket and pass it as
/// descriptor 3 (`--fd=3`, as Kata does), so QEMU can connect as soon as it
/// starts. Arguments use the `-o source=` / `-o cache=` forms that both the C
/// virtiofsd (Debian's QEMU) and Kata's Rust virtiofsd accept.
final class VirtioFSDaemon: Sendable {
    let pid: pid_t
    private let exit: ExitLatch

    private init(pid: pid_t, exit: ExitLatch) {
        self.pid = pid
        self.exit = exit
    }

    static func arguments(hypervisor: HypervisorConfiguration, sharedDirectory: String) -> [String] {
        [hypervisor.virtioFSDaemon, "--fd=3", "-f", "-o", "source=\(sharedDirectory)", "-o", "cache=\(hypervisor.virtioFSCache)"]
            + hypervisor.virtioFSExtraArgs
    }

    static func start(hypervisor: HypervisorConfiguration, sharedDirectory: String, socketPath: String,
                      logger: Logger, reaper: ChildReaper = .shared) throws -> VirtioFSDaemon {
        let listener = cs_unix_listen(socketPath)
        guard listener >= 0 else {
            throw MountError(description: "cannot listen on \(socketPath) for virtiofsd: \(String(cString: strerror(-listener)))")
        }
        defer { close(listener) }
        var output: [Int32] = [-1, -1]
        guard cs_pipe_cloexec(&output) == 0 else { throw MountError(description: "pipe: \(String(cString: strerror(errno)))") }
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        let argv = arguments(hypervisor: hypervisor, sharedDirectory: sharedDirectory)
        let pid: pid_t
        do {
            pid = try reaper.spawn(argv[0], argv, environment: CommandRunner.defaultEnvironment,
                                   descriptors: [(devnull, 0), (output[1], 1), (output[1], 2), (listener, 3)],
                                   newProcessGroup: true)
        } catch {
            close(output[0]); close(output[1])
            throw MountError(description: "cannot start virtiofsd (hypervisor.qemu.virtio_fs_daemon = \(argv[0])): \(error)")
        }
        close(output[1])
        let exit = ExitLatch()
        let daemon = VirtioFSDaemon(pid: pid, exit: exit)
        Task.detached { await OutputLines(logger: logger, prefix: "virtiofsd").read(descriptor: output[0]) }
        Task.detached {
            let status = await reaper.wait(for: pid)
            logger.info("virtiofsd \(pid) exited: \(status)")
            exit.record(status)
        }
        return daemon
    }

    var exitStatus: ExitStatus? { exit.status }

    func stop() async {
        if exit.status == nil { kill(pid, SIGKILL) }
        _ = await exit.wait()
    }
}
