import Foundation
import TestSupport
import Testing

/// One committed output of hack/protogen.sh: where it lives and the
/// script's arguments before the output directory.
struct GeneratedTarget: Sendable, CustomTestStringConvertible {
    let directory: String
    let options: [String]

    static let all = [
        GeneratedTarget(directory: "Sources/Protocols/Generated", options: []),
        GeneratedTarget(directory: "Sources/SnapshotsProtocol/Generated", options: ["--snapshots"]),
    ]

    var testDescription: String { directory }
    var regenerate: String { "run `bash hack/protogen.sh \((options + [directory]).joined(separator: " "))` (make proto)" }
}

/// Each Generated directory must be exactly what hack/protogen.sh makes
/// from proto/ today: edit a .proto, forget `make proto`, and this fails.
@Suite struct GeneratedCodeTests {
    /// A protoc plugin built from this package's dependencies, in the same
    /// configuration as the tests (`make test` builds both first).
    static func plugin(_ product: String, environment variable: String) throws -> String {
        if let explicit = ProcessInfo.processInfo.environment[variable],
            FileManager.default.isExecutableFile(atPath: explicit)
        {
            return explicit
        }
        let path = Support.packageRoot.appendingPathComponent(".build/debug/\(product)").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CommandError(description: "\(product) is not built: run `swift build --product \(product)` (make test does)")
        }
        return path
    }

    static func pluginEnvironment() throws -> [String: String] {
        [
            "PROTOC_GEN_SWIFT": try plugin("protoc-gen-swift", environment: "PROTOC_GEN_SWIFT"),
            "PROTOC_GEN_GRPC_SWIFT": try plugin("protoc-gen-grpc-swift-2", environment: "PROTOC_GEN_GRPC_SWIFT"),
        ]
    }

    static func swiftFiles(in directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".swift") {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return files
    }

    @Test(arguments: GeneratedTarget.all)
    func committedCodeMatchesProtos(_ target: GeneratedTarget) throws {
        guard which("protoc") != nil else {
            Issue.record("protoc not found: apt-get install protobuf-compiler libprotobuf-dev")
            return
        }
        let output = try Support.makeTemporaryDirectory("protogen")
        defer { try? FileManager.default.removeItem(at: output) }

        let script = Support.packageRoot.appendingPathComponent("hack/protogen.sh").path
        try TestSupport.output(of: ["/bin/bash", script] + target.options + [output.path], environment: try Self.pluginEnvironment(),
                               directory: Support.packageRoot.path)

        let fresh = try Self.swiftFiles(in: output)
        let committed = try Self.swiftFiles(in: Support.packageRoot.appendingPathComponent(target.directory))
        #expect(!fresh.isEmpty)

        for name in fresh.keys.sorted() where committed[name] == nil {
            Issue.record("\(target.directory)/\(name) is missing; \(target.regenerate)")
        }
        for name in committed.keys.sorted() where fresh[name] == nil {
            Issue.record("\(target.directory)/\(name) has no .proto any more; \(target.regenerate)")
        }
        for (name, data) in fresh.sorted(by: { $0.key < $1.key }) {
            if let old = committed[name], old != data {
                Issue.record("\(target.directory)/\(name) is stale; \(target.regenerate)")
            }
        }
    }

    /// The generator runs twice to the same bytes and clears stale files.
    @Test(arguments: GeneratedTarget.all)
    func generationIsDeterministic(_ target: GeneratedTarget) throws {
        guard which("protoc") != nil else {
            Issue.record("protoc not found: apt-get install protobuf-compiler libprotobuf-dev")
            return
        }
        let environment = try Self.pluginEnvironment()
        let script = Support.packageRoot.appendingPathComponent("hack/protogen.sh").path
        let first = try Support.makeTemporaryDirectory("protogen-a")
        let second = try Support.makeTemporaryDirectory("protogen-b")
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        try Data("stale".utf8).write(to: second.appendingPathComponent("removed_long_ago.pb.swift"))
        for directory in [first, second] {
            try TestSupport.output(of: ["/bin/bash", script] + target.options + [directory.path], environment: environment)
        }
        #expect(try Self.swiftFiles(in: first) == Self.swiftFiles(in: second))
    }

    /// The snapshot service's code is generated apart from Protocols, and
    /// Protocols never carries gRPC (the static guest agent links it).
    @Test func snapshotsStayOutOfProtocols() throws {
        let protocols = try Self.swiftFiles(in: Support.packageRoot.appendingPathComponent("Sources/Protocols/Generated"))
        #expect(!protocols.keys.contains { $0.hasPrefix("containerd_snapshots") })
        for (name, data) in protocols {
            #expect(!String(decoding: data, as: UTF8.self).contains("import GRPCCore"), "\(name) imports GRPCCore")
        }
        let snapshots = try Self.swiftFiles(in: Support.packageRoot.appendingPathComponent("Sources/SnapshotsProtocol/Generated"))
        #expect(snapshots.keys.sorted() == ["containerd_snapshots_v1_snapshots.grpc.swift", "containerd_snapshots_v1_snapshots.pb.swift"])
    }
}
