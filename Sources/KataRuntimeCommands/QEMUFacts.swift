import Glibc
import KataConfig

/// What the configured QEMU binary says about itself: its version and the
/// object types it can create (`-object help`), of which the confidential
/// ones (`tdx-guest`, `sev-snp-guest`, `sev-guest`) decide which
/// confidential configurations it can run.
public struct QEMUFacts: Sendable, Equatable {
    /// The binary (`hypervisor.qemu.path`).
    public var path: String
    /// The first line of `-version`: `QEMU emulator version 7.2.22 (Debian ...)`.
    public var versionLine: String
    /// The version number alone, `7.2.22`; empty when the line has none.
    public var version: String
    /// The object types of `-machine none -object help`.
    public var objectTypes: [String]

    public init(path: String, versionLine: String, version: String, objectTypes: [String]) {
        self.path = path
        self.versionLine = versionLine
        self.version = version
        self.objectTypes = objectTypes
    }

    /// The confidential technologies whose object this QEMU knows.
    public var confidentialTechnologies: [ConfidentialTechnology] {
        ConfidentialTechnology.allCases.filter { objectTypes.contains($0.qemuObjectType) }
    }

    /// Runs `path -version` and `path -machine none -object help`.
    public static func probe(path: String) throws(QEMUProbeError) -> QEMUFacts {
        var status = stat()
        guard stat(path, &status) == 0 else { throw .missing(path: path) }
        guard status.st_mode & S_IFMT == S_IFREG, access(path, X_OK) == 0 else { throw .notExecutable(path: path) }
        let versionOutput = try output(of: [path, "-version"])
        let helpOutput = try output(of: [path, "-machine", "none", "-object", "help"])
        let (line, version) = parseVersion(versionOutput)
        return QEMUFacts(path: path, versionLine: line, version: version, objectTypes: parseObjectTypes(helpOutput))
    }

    /// The first line of `-version` output and the number after `version`.
    static func parseVersion(_ output: String) -> (line: String, version: String) {
        let line = output.split(separator: "\n").first.map(String.init) ?? ""
        let words = line.split(separator: " ")
        guard let index = words.firstIndex(of: "version"), index + 1 < words.count else { return (line, "") }
        return (line, String(words[index + 1]))
    }

    /// `-object help` prints a heading and one indented type per line.
    static func parseObjectTypes(_ output: String) -> [String] {
        output.split(separator: "\n")
            .filter { $0.first == " " }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    private static func output(of arguments: [String]) throws(QEMUProbeError) -> String {
        let result: HelperCommand.Output
        do {
            result = try HelperCommand.run(arguments)
        } catch {
            throw .failed(path: arguments[0], command: arguments.joined(separator: " "), reason: "\(error)")
        }
        guard result.status == 0 else {
            throw .failed(path: arguments[0], command: arguments.joined(separator: " "),
                          reason: "exit status \(result.status): \(result.text.split(separator: "\n").prefix(3).joined(separator: " "))")
        }
        return result.text
    }
}

/// Why the configured QEMU could not be asked about itself.
public enum QEMUProbeError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(path: String)
    case notExecutable(path: String)
    case failed(path: String, command: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path) does not exist"
        case .notExecutable(let path): return "\(path) is not an executable file"
        case .failed(_, let command, let reason): return "`\(command)` failed: \(reason)"
        }
    }
}
