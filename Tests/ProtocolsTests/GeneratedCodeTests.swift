import Foundation
import TestSupport
import Testing

/// Sources/Protocols/Generated must be exactly what hack/protogen.sh makes
/// from proto/ today: edit a .proto, forget `make proto`, and this fails.
@Suite struct GeneratedCodeTests {
    static let generatedDirectory = Support.packageRoot.appendingPathComponent("Sources/Protocols/Generated")

    /// protoc-gen-swift built from this package's swift-protobuf, in the same
    /// configuration as the tests (`make test` builds it first).
    static func plugin() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["PROTOC_GEN_SWIFT"],
            FileManager.default.isExecutableFile(atPath: explicit)
        {
            return explicit
        }
        let path = Support.packageRoot.appendingPathComponent(".build/debug/protoc-gen-swift").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CommandError(description: "protoc-gen-swift is not built: run `swift build --product protoc-gen-swift` (make test does)")
        }
        return path
    }

    static func swiftFiles(in directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".swift") {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return files
    }

    @Test func committedCodeMatchesProtos() throws {
        guard which("protoc") != nil else {
            Issue.record("protoc not found: apt-get install protobuf-compiler libprotobuf-dev")
            return
        }
        let output = try Support.makeTemporaryDirectory("protogen")
        defer { try? FileManager.default.removeItem(at: output) }

        let script = Support.packageRoot.appendingPathComponent("hack/protogen.sh").path
        try TestSupport.output(of: ["/bin/bash", script, output.path], environment: ["PROTOC_GEN_SWIFT": try Self.plugin()],
                               directory: Support.packageRoot.path)

        let fresh = try Self.swiftFiles(in: output)
        let committed = try Self.swiftFiles(in: Self.generatedDirectory)
        #expect(!fresh.isEmpty)

        let regenerate = "run `bash hack/protogen.sh Sources/Protocols/Generated` (make proto)"
        for name in fresh.keys.sorted() where committed[name] == nil {
            Issue.record("Sources/Protocols/Generated/\(name) is missing; \(regenerate)")
        }
        for name in committed.keys.sorted() where fresh[name] == nil {
            Issue.record("Sources/Protocols/Generated/\(name) has no .proto any more; \(regenerate)")
        }
        for (name, data) in fresh.sorted(by: { $0.key < $1.key }) {
            if let old = committed[name], old != data {
                Issue.record("Sources/Protocols/Generated/\(name) is stale; \(regenerate)")
            }
        }
    }

    /// The generator runs twice to the same bytes and clears stale files.
    @Test func generationIsDeterministic() throws {
        guard which("protoc") != nil else {
            Issue.record("protoc not found: apt-get install protobuf-compiler libprotobuf-dev")
            return
        }
        let plugin = try Self.plugin()
        let script = Support.packageRoot.appendingPathComponent("hack/protogen.sh").path
        let first = try Support.makeTemporaryDirectory("protogen-a")
        let second = try Support.makeTemporaryDirectory("protogen-b")
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        try Data("stale".utf8).write(to: second.appendingPathComponent("removed_long_ago.pb.swift"))
        for directory in [first, second] {
            try TestSupport.output(of: ["/bin/bash", script, directory.path], environment: ["PROTOC_GEN_SWIFT": plugin])
        }
        #expect(try Self.swiftFiles(in: first) == Self.swiftFiles(in: second))
    }
}
