import CLinux
import ChildProcesses
import Glibc
import NIOCore
import NIOPosix

extension ProcessIO {
    /// A logging binary run per containerd's binary-log protocol: fd 3 reads
    /// stdout, fd 4 reads stderr, and the binary closes (or writes to) fd 5
    /// once it is ready; `CONTAINER_ID` and `CONTAINER_NAMESPACE` are its
    /// whole environment, as with containerd.
    final class BinaryLogger: Sendable {
        /// containerd's `binaryIOProcTermTimeout`: ten seconds to flush, and some slack.
        static let exitTimeout = Duration.seconds(12)

        let pid: pid_t
        private let exit = ExitLatch()

        private init(pid: pid_t) {
            self.pid = pid
            Task { [exit] in exit.record(await ChildReaper.shared.wait(for: pid)) }
        }

        /// Starts the binary and returns once it is ready, with the write ends
        /// of its stdout and stderr pipes (the caller owns them).
        static func start(path: String, arguments: [String], containerID: String, namespace: String)
            async throws -> (logger: BinaryLogger, stdout: Int32, stderr: Int32)
        {
            var stdout: [Int32] = [-1, -1], stderr: [Int32] = [-1, -1], ready: [Int32] = [-1, -1]
            var opened: [Int32] = []
            func closeAll() { for descriptor in opened { Glibc.close(descriptor) } }
            for index in 0..<3 {
                var pair: [Int32] = [-1, -1]
                guard cs_pipe_cloexec(&pair) == 0 else {
                    let code = errno
                    closeAll()
                    throw OpenError(.stdout, path, errno: code)
                }
                opened += pair
                switch index {
                case 0: stdout = pair
                case 1: stderr = pair
                default: ready = pair
                }
            }
            let devnull = Glibc.open("/dev/null", O_RDWR | O_CLOEXEC)
            guard devnull >= 0 else {
                let code = errno
                closeAll()
                throw OpenError(.stdout, "/dev/null", errno: code)
            }
            opened.append(devnull)
            let pid: pid_t
            do {
                pid = try ChildReaper.shared.spawn(
                    path, [path] + arguments,
                    environment: ["CONTAINER_ID=\(containerID)", "CONTAINER_NAMESPACE=\(namespace)"],
                    descriptors: [(devnull, 0), (devnull, 1), (devnull, 2), (stdout[0], 3), (stderr[0], 4), (ready[1], 5)])
            } catch {
                closeAll()
                throw OpenError(.stdout, path, reason: "\(error)")
            }
            // The binary holds the read ends now: when it goes away our writes
            // fail with EPIPE instead of filling a pipe nobody reads.
            for descriptor in [devnull, stdout[0], stderr[0], ready[1]] { Glibc.close(descriptor) }
            let logger = BinaryLogger(pid: pid)
            do {
                try await waitUntilReady(ready[0])
            } catch {
                Glibc.close(stdout[1])
                Glibc.close(stderr[1])
                await logger.terminate()
                throw OpenError(.stdout, path, reason: "waiting for the logging binary: \(error)")
            }
            return (logger, stdout[1], stderr[1])
        }

        /// Waits for one byte or end of file on the ready pipe, without a thread.
        private static func waitUntilReady(_ descriptor: Int32) async throws {
            let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .takingOwnershipOfDescriptor(input: descriptor) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                    }
                }
            try await channel.executeThenClose { inbound, _ in
                var iterator = inbound.makeAsyncIterator()
                // End of file, a hang-up (an error from NIO) or a byte: all mean ready.
                _ = try? await iterator.next()
            }
        }

        /// SIGTERM, then SIGKILL if the binary has not exited within `exitTimeout`.
        /// Call once its pipes are closed.
        func terminate() async {
            if exit.status == nil { kill(pid, SIGTERM) }
            await withTaskGroup(of: Bool.self) { group in
                group.addTask { [exit] in _ = await exit.wait(); return true }
                group.addTask { (try? await Task.sleep(for: Self.exitTimeout)) != nil ? false : true }
                if await group.next() == false, exit.status == nil {
                    kill(pid, SIGKILL)
                }
                group.cancelAll()
            }
        }
    }
}
