import ChildProcesses
import Glibc

/// The OCI runtime that runs containers: crun in the guest. runc is accepted
/// too (same command line), for hosts whose cgroup layout crun refuses (crun
/// rejects the v1/v2 hybrid layout when v2 has a controller attached).
struct OCIRuntime: Sendable {
    enum Flavor: String, Sendable { case crun, runc }

    var path: String
    var flavor: Flavor
    /// The runtime's `--root` (container state), private to this agent.
    var root: String
    let runner: CommandRunner

    init(path: String, root: String, runner: CommandRunner) {
        self.path = path
        self.flavor = path.hasSuffix("runc") ? .runc : .crun
        self.root = root
        self.runner = runner
    }

    private func global(log: String? = nil) -> [String] {
        var arguments = [path, "--root", root]
        if flavor == .crun { arguments += ["--cgroup-manager", "cgroupfs"] }
        if let log { arguments += flavor == .crun ? ["--log=file:" + log] : ["--log", log] }
        return arguments
    }

    /// Runs a subcommand that does not carry a container's stdio.
    @discardableResult
    func run(_ arguments: [String], what: String) async throws -> String {
        let result = try await runner.run(global() + arguments)
        guard result.status == .exited(0) else {
            throw AgentError.failed("\(what): \(flavor) \(arguments.first ?? "") failed (\(result.status)): \(Self.clean(result.output))")
        }
        return result.output
    }

    /// Runs `create` or `exec --detach` with the process's stdio; the runtime's
    /// own errors go to `logFile`.
    func runWithStdio(_ arguments: [String], stdio: (stdin: Int32, stdout: Int32, stderr: Int32), logFile: String, what: String) async throws {
        let result = try await runner.run(global(log: logFile) + arguments, stdio: stdio)
        guard result.status == .exited(0) else {
            let log = (try? readTextFile(logFile)) ?? ""
            throw AgentError.failed("\(what): \(flavor) \(arguments.first ?? "") failed (\(result.status)): \(Self.clean(log))")
        }
    }

    /// Log lines without their JSON wrapping and timestamps, on one line.
    static func clean(_ text: String) -> String {
        let lines = text.split(separator: "\n").map { line -> String in
            for key in ["\"msg\":\"", "msg=\""] {
                if let start = line.firstRange(of: key) {
                    let rest = line[start.upperBound...]
                    let end = rest.firstIndex(of: "\"") ?? rest.endIndex
                    return String(rest[..<end])
                }
            }
            return String(line)
        }
        return lines.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}

/// The whole of a small text file.
public func readTextFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw AgentError.failed("open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 8192)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 { bytes += buffer[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `contents` to `path` (replacing it) with `mode`.
func writeFile(_ path: String, _ contents: [UInt8], mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw AgentError.failed("create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var offset = 0
    while offset < contents.count {
        let n = contents[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw AgentError.failed("write \(path): \(String(cString: strerror(errno)))")
        }
        offset += n
    }
}

/// `mkdir -p` with `mode` for the directories it creates.
func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
    var current = ""
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, mode) != 0 && errno != EEXIST {
            throw AgentError.failed("mkdir \(current): \(String(cString: strerror(errno)))")
        }
    }
}

/// `rm -rf` without following symlinks out of the tree.
func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if st.st_mode & S_IFMT == S_IFDIR {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                removeTree(path + "/" + name)
            }
            closedir(dir)
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}
