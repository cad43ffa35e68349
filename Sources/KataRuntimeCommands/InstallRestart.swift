import ChildProcesses
import Glibc
import Installer

/// Runs the containerd restart an operator asked for, with our stdout and
/// stderr, and fails with its status.
enum InstallRestart {
    static func run(_ restart: ContainerdRestart) throws {
        guard let executable = resolve(restart.arguments[0]) else {
            throw InstallCommandError("cannot restart containerd: \(restart.arguments[0]) is not on PATH; restart it yourself (\(restart.description)) or pass --restart-command")
        }
        print("Restarting containerd: \(restart.description)")
        let arguments = [executable] + restart.arguments.dropFirst()
        let environment = getenv("PATH").map { ["PATH=" + String(cString: $0)] } ?? CommandRunner.defaultEnvironment
        let status = try awaitBlocking {
            try await CommandRunner().run(arguments, environment: environment, stdio: (0, 1, 2)).status
        }
        guard status == .exited(0) else {
            throw InstallCommandError("restarting containerd failed (\(restart.description): \(status)); the files and configuration are in place: restart containerd yourself")
        }
    }

    /// An absolute path, or the first executable of that name on PATH.
    static func resolve(_ name: String) -> String? {
        if name.hasPrefix("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") where access("\(directory)/\(name)", X_OK) == 0 {
            return "\(directory)/\(name)"
        }
        return nil
    }

    /// Runs an async body from a synchronous command.
    private static func awaitBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        try BlockingMain.run { box.value = try await body() }
        guard let value = box.value else { throw InstallCommandError("containerd restart produced no result") }
        return value
    }
}

/// Written once by the body `BlockingMain` runs, read after it returned.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    var value: T?
}
