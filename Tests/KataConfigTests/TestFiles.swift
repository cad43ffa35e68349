import Foundation

/// Paths of this checkout and scratch directories for the tests.
enum TestFiles {
    /// The repository root, from this file's path.
    static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func shipped(_ name: String) -> String {
        repository.appendingPathComponent("configuration/\(name)").path
    }

    static func fixture(_ name: String) -> String {
        repository.appendingPathComponent("Tests/KataConfigTests/Fixtures/\(name)").path
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }
}

/// A directory under /tmp, removed when the value goes away.
final class ScratchDirectory {
    let path: String

    init() throws {
        let template = NSTemporaryDirectory() + "kataconfig-test-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw CocoaError(.fileWriteUnknown) }
        path = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` to `name` (directories created), returns the full path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    func symlink(_ name: String, to target: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
        return full
    }
}

/// Runs a tool and returns its standard output.
enum Tool {
    static func run(_ executable: String, _ arguments: [String], input: Data = Data()) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        // Write and read concurrently so that large outputs cannot deadlock.
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(executable) exited \(process.terminationStatus)"])
        }
        return output
    }

    /// `gzip -c -n` of `data`.
    static func gzip(_ data: Data) throws -> Data {
        try run("/bin/gzip", ["-c", "-n"], input: data)
    }

    static func gunzip(_ data: Data) throws -> Data {
        try run("/bin/gzip", ["-d", "-c"], input: data)
    }

    /// The hex digest printed by `sha256sum`, `sha384sum` or `sha512sum`.
    static func digest(_ algorithm: String, _ data: Data) throws -> String {
        let output = try run("/usr/bin/\(algorithm)sum", [], input: data)
        return String(decoding: output, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
