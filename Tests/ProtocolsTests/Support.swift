import Foundation
import SwiftProtobuf

/// Paths and process helpers shared by the protocol tests.
enum Support {
    /// The package root, found from this file's location (Tests/ProtocolsTests/Support.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ProtocolsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// Recorded containerd traffic, kept next to the package (`<root>/../shared/reference/traces`).
    static let tracesDirectory: URL = packageRoot
        .deletingLastPathComponent()
        .appendingPathComponent("shared/reference/traces")

    struct CommandFailure: Error, CustomStringConvertible {
        let command: [String]
        let status: Int32
        let output: String
        var description: String {
            "`\(command.joined(separator: " "))` exited with \(status):\n\(output)"
        }
    }

    /// Runs a program to completion; stdout and stderr are returned together.
    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: URL? = nil
    ) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let currentDirectory {
            process.currentDirectoryURL = currentDirectory
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandFailure(command: [executable] + arguments, status: process.terminationStatus, output: output)
        }
        return output
    }

    /// First executable called `name` on PATH (or in the usual system directories).
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin"]
        for directory in directories {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    static func makeTemporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs protoc with `--include_imports --descriptor_set_out` and decodes the result.
    static func descriptorSet(
        protoc: String, includePaths: [String], files: [String]
    ) throws -> Google_Protobuf_FileDescriptorSet {
        let directory = try makeTemporaryDirectory("descriptors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("set.pb")
        try run(
            protoc,
            includePaths.map { "-I" + $0 } + ["--include_imports", "--descriptor_set_out=" + output.path] + files)
        let bytes = try [UInt8](Data(contentsOf: output))
        return try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
    }
}
