import Foundation
import SwiftProtobuf
import TestSupport

/// Paths and process helpers shared by the protocol tests.
enum Support {
    /// The package root, found from this file's location (Tests/ProtocolsTests/Support.swift).
    static let packageRoot = URL(fileURLWithPath: TestSupport.packageRoot)

    /// Recorded containerd traffic, kept next to the package (`<root>/../shared/reference/traces`).
    static let tracesDirectory: URL = packageRoot
        .deletingLastPathComponent()
        .appendingPathComponent("shared/reference/traces")

    static func makeTemporaryDirectory(_ label: String) throws -> URL {
        URL(fileURLWithPath: try TestSupport.makeTemporaryDirectory(label))
    }

    /// Runs protoc with `--include_imports --descriptor_set_out` and decodes the result.
    static func descriptorSet(
        protoc: String, includePaths: [String], files: [String]
    ) throws -> Google_Protobuf_FileDescriptorSet {
        let directory = try makeTemporaryDirectory("descriptors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("set.pb")
        try TestSupport.output(of:
            [protoc] + includePaths.map { "-I" + $0 } + ["--include_imports", "--descriptor_set_out=" + output.path] + files)
        let bytes = try [UInt8](Data(contentsOf: output))
        return try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
    }
}
