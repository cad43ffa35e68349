import ChildProcesses
import CLinux
import Files
import Glibc
import Protocols
import SwiftProtobuf

/// The executable's entry point: `start`, `delete`, `-info`, `--version`, or
/// (no action) the long-running server.
public enum ShimMain {
    public static func main(_ arguments: [String]) -> Never {
        signal(SIGPIPE, SIG_IGN)
        let flags: ShimFlags
        do {
            flags = try ShimFlags(Array(arguments.dropFirst()))
        } catch {
            fail("\(error)", code: 2)
        }
        let environment = environmentList()
        switch flags.action {
        case .version:
            print(ShimVersion.versionLine)
            exit(0)
        case .help:
            print(ShimFlags.usage)
            exit(0)
        case .info:
            var info = Containerd_Types_RuntimeInfo()
            info.name = ShimVersion.runtimeName
            info.version.version = ShimVersion.version
            info.version.revision = ShimVersion.revision
            emit((try? info.serializedBytes()) ?? [])
        case .start:
            do {
                let stdin = readAll(descriptor: 0)
                emit(try StartCommand.run(flags: flags, stdin: stdin, executable: executablePath(arguments[0]),
                                          environment: environment, bundle: currentDirectory()))
            } catch {
                fail("\(error)", code: 1)
            }
        case .delete:
            do {
                emit(try DeleteCommand.run(flags: flags, bundle: flags.bundle.isEmpty ? currentDirectory() : flags.bundle))
            } catch {
                fail("\(error)", code: 1)
            }
        case .serve:
            // Before any thread exists: a mount namespace of our own (the
            // rootfs and share mounts never reach the host, and go away with
            // us), and the signals that the signal thread waits for.
            let rc = cs_enter_private_mount_namespace()
            if rc != 0 { fail("cannot enter a mount namespace of its own: \(String(cString: strerror(-rc)))", code: 1) }
            SignalWaiter.blockSignals([SIGTERM, SIGINT])
            var dictionary: [String: String] = [:]
            for entry in environment {
                guard let equals = entry.firstIndex(of: "=") else { continue }
                dictionary[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            }
            let serving = dictionary
            do {
                try BlockingMain.run { try await ShimDaemon.run(flags: flags, environment: serving) }
                exit(0)
            } catch {
                fail("\(error)", code: 1)
            }
        }
    }

    private static func emit(_ bytes: [UInt8]) -> Never {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n <= 0 { if errno == EINTR { continue }; exit(1) }
            offset += n
        }
        exit(0)
    }

    private static func fail(_ message: String, code: Int32) -> Never {
        let line = message + "\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        exit(code)
    }

    private static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(cString: buffer)
    }

    /// This binary's path, for re-executing itself (/proc/self/exe is exact
    /// even when argv[0] is a bare name found in PATH).
    private static func executablePath(_ argv0: String) -> String {
        (try? readSymbolicLink("/proc/self/exe")).flatMap { $0.isEmpty ? nil : $0 } ?? argv0
    }

    private static func environmentList() -> [String] {
        var list: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            list.append(String(cString: entry))
            pointer += 1
        }
        return list
    }
}
