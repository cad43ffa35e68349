import Files
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
