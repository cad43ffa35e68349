import CLinux
import Glibc
import NIOPosix

/// Runs short helper commands (an OCI runtime's subcommands, `ip`, ...) and
/// returns their output.
public struct CommandRunner: Sendable {
    public let reaper: ChildReaper

    public init(reaper: ChildReaper = .shared) {
        self.reaper = reaper
    }

    public struct Result: Sendable {
        public var status: ExitStatus
        public var output: String
    }

    /// Runs `arguments` with stdin from /dev/null (or `stdio` when given) and
    /// captures stdout and stderr together. Never blocks a cooperative thread:
    /// the output is read on NIO's thread pool while the reaper reports the exit.
    public func run(_ arguments: [String], environment: [String] = defaultEnvironment,
             stdio: (stdin: Int32, stdout: Int32, stderr: Int32)? = nil,
             extraDescriptors: [(source: Int32, target: Int32)] = [],
             directory: String? = nil) async throws -> Result {
        var pipe: [Int32] = [-1, -1]
        guard cs_pipe_cloexec(&pipe) == 0 else { throw SpawnError(path: arguments[0], errno: errno) }
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        var map: [(source: Int32, target: Int32)]
        if let stdio {
            // The process's own stdio (a container's); the runtime's diagnostics
            // then go to its --log file, not to our pipe.
            map = [(stdio.stdin, 0), (stdio.stdout, 1), (stdio.stderr, 2)]
        } else {
            map = [(devnull, 0), (pipe[1], 1), (pipe[1], 2)]
        }
        map += extraDescriptors
        let pid: pid_t
        do {
            pid = try reaper.spawn(arguments[0], arguments, environment: environment, descriptors: map, directory: directory)
        } catch {
            close(pipe[0]); close(pipe[1])
            throw error
        }
        close(pipe[1])
        let reader = pipe[0]
        async let output = NIOThreadPool.singleton.runIfActive { Self.readAll(reader) }
        let status = await reaper.wait(for: pid)
        let text = (try? await output) ?? ""
        close(reader)
        return Result(status: status, output: text)
    }

    public static let defaultEnvironment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

    private static func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 {
                bytes += buffer[0..<n]
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
