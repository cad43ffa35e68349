import CLinux
import Glibc

/// Runs a short helper program (QEMU's `-version`) to completion on the
/// calling thread and returns its exit status and output (stdout and stderr
/// together).
///
/// Blocking on purpose, without Swift concurrency: the commands are
/// synchronous, and tests call this from the cooperative pool, where waiting
/// for another task would starve it. kata-runtime reaps no other children,
/// so waiting for this pid alone is enough.
enum HelperCommand {
    struct Output: Sendable, Equatable {
        /// The exit code, or 128 + the signal that killed it.
        var status: Int32
        var text: String
    }

    static let environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    static func run(_ arguments: [String]) throws(HelperCommandError) -> Output {
        var pipe: [Int32] = [-1, -1]
        guard cs_pipe_cloexec(&pipe) == 0 else { throw HelperCommandError(path: arguments[0], errno: errno) }
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if devnull >= 0 { close(devnull) } }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let sources = [devnull, pipe[1], pipe[1]]
        let targets: [Int32] = [0, 1, 2]
        var pid: pid_t = 0
        let rc = cs_spawn(arguments[0], &argv, &envp, sources, targets, Int32(sources.count), nil, 0, &pid)
        close(pipe[1])
        guard rc == 0 else {
            close(pipe[0])
            throw HelperCommandError(path: arguments[0], errno: rc)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
            if n > 0 {
                bytes += chunk[0..<n]
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(pipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        let signal = status & 0x7f
        let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return Output(status: code, text: String(decoding: bytes, as: UTF8.self))
    }
}

/// A helper program that could not be started.
struct HelperCommandError: Error, CustomStringConvertible {
    var path: String
    var errno: Int32
    var description: String { "cannot start \(path): \(String(cString: strerror(errno)))" }
}
