import Foundation
import SwiftProtobuf
import TestSupport
import Testing

/// Our containerd protos against the ones Debian installs with containerd's
/// and cgroups' Go sources: every upstream message, field, enum value and
/// service method must exist in ours with the same name, number, type and
/// label. Field names, numbers and types are the wire contract; type names
/// and package names matter for Any type URLs and ttrpc method paths.
@Suite struct ProtoCompatibilityTests {
    static let gocode = "/usr/share/gocode/src"

    /// Upstream files that carry what we talk to containerd with, the Debian
    /// package each one comes from, and the protoc run it is compiled in.
    /// runtimeoptions imports gogo.proto under a different path than the
    /// rest, so it must be compiled on its own.
    static let upstreamGroups: [[(file: String, package: String)]] = [
        [
            ("github.com/containerd/containerd/runtime/v2/task/shim.proto", "golang-github-containerd-containerd-dev"),
            ("github.com/containerd/containerd/api/types/mount.proto", "golang-github-containerd-containerd-dev"),
            ("github.com/containerd/containerd/api/types/task/task.proto", "golang-github-containerd-containerd-dev"),
            ("github.com/containerd/containerd/api/events/task.proto", "golang-github-containerd-containerd-dev"),
            (
                "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.proto",
                "golang-github-containerd-containerd-dev"
            ),
            ("github.com/containerd/cgroups/stats/v1/metrics.proto", "golang-github-containerd-cgroups-dev"),
            ("github.com/containerd/cgroups/v2/stats/metrics.proto", "golang-github-containerd-cgroups-dev"),
        ],
        [
            ("github.com/containerd/containerd/pkg/runtimeoptions/v1/api.proto", "golang-github-containerd-containerd-dev")
        ],
    ]

    static let upstreamIncludes = [
        gocode,
        gocode + "/github.com/gogo/protobuf",  // gogoproto/gogo.proto
        "/usr/include",  // google/protobuf/*.proto
    ]

    /// Fields ours has beyond the Debian (containerd 1.6, cgroups 1.0) files,
    /// each added by a later upstream release. Anything else extra fails.
    static let allowedExtraFields: [String: Set<Int32>] = [
        // containerd 1.7: config_body.
        ".runtimeoptions.v1.Options": [3],
        // containerd/cgroups v3: network stats, PSI, CPU burst counters, peak memory.
        ".io.containerd.cgroups.v2.Metrics": [9],
        ".io.containerd.cgroups.v2.CPUStat": [7, 8, 9],
        ".io.containerd.cgroups.v2.MemoryStat": [36, 37, 38],
        ".io.containerd.cgroups.v2.IOStat": [2],
    ]

    /// All messages and enums of a descriptor set, by fully qualified name
    /// (".package.Message.Nested").
    struct Index {
        var messages: [String: Google_Protobuf_DescriptorProto] = [:]
        var enums: [String: Google_Protobuf_EnumDescriptorProto] = [:]
        var services: [String: Google_Protobuf_ServiceDescriptorProto] = [:]

        init(_ files: [Google_Protobuf_FileDescriptorProto]) {
            for file in files {
                let prefix = file.package.isEmpty ? "" : "." + file.package
                for message in file.messageType {
                    add(message, prefix: prefix)
                }
                for enumType in file.enumType {
                    enums[prefix + "." + enumType.name] = enumType
                }
                for service in file.service {
                    services[prefix + "." + service.name] = service
                }
            }
        }

        private mutating func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
            let name = prefix + "." + message.name
            messages[name] = message
            for nested in message.nestedType {
                add(nested, prefix: name)
            }
            for enumType in message.enumType {
                enums[name + "." + enumType.name] = enumType
            }
        }
    }

    /// Returns the upstream files (only those listed above, not their imports),
    /// or nil after recording which Debian packages to install.
    static func upstreamFiles(protoc: String) throws -> [Google_Protobuf_FileDescriptorProto]? {
        var missing = Set<String>()
        for group in upstreamGroups {
            for (file, package) in group where !FileManager.default.fileExists(atPath: gocode + "/" + file) {
                missing.insert(package)
            }
        }
        if !FileManager.default.fileExists(atPath: gocode + "/github.com/gogo/protobuf/gogoproto/gogo.proto") {
            missing.insert("golang-github-gogo-protobuf-dev")
        }
        if !FileManager.default.fileExists(atPath: "/usr/include/google/protobuf/descriptor.proto") {
            missing.insert("libprotobuf-dev")
        }
        guard missing.isEmpty else {
            Issue.record(
                "Upstream .proto files are missing: apt-get install \(missing.sorted().joined(separator: " ")) (needed: golang-github-containerd-containerd-dev golang-github-containerd-cgroups-dev protobuf-compiler libprotobuf-dev)"
            )
            return nil
        }
        var files: [Google_Protobuf_FileDescriptorProto] = []
        for group in upstreamGroups {
            let names = group.map(\.file)
            let set = try Support.descriptorSet(protoc: protoc, includePaths: upstreamIncludes, files: names)
            files += set.file.filter { names.contains($0.name) }
        }
        return files
    }

    static func oursIndex(protoc: String) throws -> Index {
        let protoDirectory = Support.packageRoot.appendingPathComponent("proto")
        let enumerator = FileManager.default.enumerator(atPath: protoDirectory.path)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".proto") { files.append(path) }
        }
        #expect(!files.isEmpty, "no .proto files under \(protoDirectory.path)")
        let set = try Support.descriptorSet(
            protoc: protoc, includePaths: [protoDirectory.path, "/usr/include"], files: files.sorted())
        return Index(set.file)
    }

    static func describe(_ field: Google_Protobuf_FieldDescriptorProto) -> String {
        "\(field.name)=\(field.number) \(field.type) \(field.label) \(field.typeName)"
    }

    @Test func containerdProtosMatchDebianUpstream() throws {
        guard let protoc = which("protoc") else {
            Issue.record("protoc not found: apt-get install protobuf-compiler libprotobuf-dev")
            return
        }
        guard let upstreamFiles = try Self.upstreamFiles(protoc: protoc) else { return }
        #expect(upstreamFiles.count == Self.upstreamGroups.joined().count)
        let upstream = Index(upstreamFiles)
        let ours = try Self.oursIndex(protoc: protoc)

        // The comparison must have something to compare.
        #expect(upstream.messages.count > 60)
        #expect(upstream.services.count == 2)

        for (name, theirs) in upstream.messages.sorted(by: { $0.key < $1.key }) {
            guard let mine = ours.messages[name] else {
                Issue.record("message \(name) is missing from proto/")
                continue
            }
            let myFields = Dictionary(uniqueKeysWithValues: mine.field.map { ($0.number, $0) })
            for field in theirs.field {
                guard let myField = myFields[field.number] else {
                    Issue.record("\(name): field \(Self.describe(field)) is missing")
                    continue
                }
                #expect(myField.name == field.name, "\(name) field \(field.number): name")
                #expect(myField.type == field.type, "\(name).\(field.name): type")
                #expect(myField.label == field.label, "\(name).\(field.name): label")
                #expect(myField.typeName == field.typeName, "\(name).\(field.name): type name")
                #expect(
                    myField.oneofIndex == field.oneofIndex && myField.hasOneofIndex == field.hasOneofIndex,
                    "\(name).\(field.name): oneof membership")
            }
            let theirNumbers = Set(theirs.field.map(\.number))
            let allowed = Self.allowedExtraFields[name] ?? []
            for field in mine.field where !theirNumbers.contains(field.number) && !allowed.contains(field.number) {
                Issue.record(
                    "\(name): field \(Self.describe(field)) is not upstream; list it in allowedExtraFields if a newer release added it"
                )
            }
            #expect(mine.options.mapEntry == theirs.options.mapEntry, "\(name): map entry flag")
        }

        for (name, theirs) in upstream.enums.sorted(by: { $0.key < $1.key }) {
            guard let mine = ours.enums[name] else {
                Issue.record("enum \(name) is missing from proto/")
                continue
            }
            let theirValues = theirs.value.map { "\($0.name)=\($0.number)" }
            let myValues = mine.value.map { "\($0.name)=\($0.number)" }
            #expect(myValues == theirValues, "enum \(name) values")
        }

        for (name, theirs) in upstream.services.sorted(by: { $0.key < $1.key }) {
            guard let mine = ours.services[name] else {
                Issue.record("service \(name) is missing from proto/")
                continue
            }
            let describeMethod = { (method: Google_Protobuf_MethodDescriptorProto) -> String in
                "\(method.name)(\(method.inputType)) -> \(method.outputType) stream:\(method.clientStreaming)/\(method.serverStreaming)"
            }
            #expect(
                mine.method.map(describeMethod).sorted() == theirs.method.map(describeMethod).sorted(),
                "service \(name) methods")
        }
    }

    /// The services keep every method their callers use (containerd's 17 task
    /// methods, the Kata agent's current API); independent of the Debian packages.
    @Test func taskServiceHasEveryMethod() throws {
        guard let protoc = which("protoc") else {
            Issue.record("protoc not found: apt-get install protobuf-compiler libprotobuf-dev")
            return
        }
        let ours = try Self.oursIndex(protoc: protoc)
        let task = try #require(ours.services[".containerd.task.v2.Task"])
        #expect(
            task.method.map(\.name) == [
                "State", "Create", "Start", "Delete", "Pids", "Pause", "Resume", "Checkpoint", "Kill", "Exec",
                "ResizePty", "CloseIO", "Update", "Wait", "Stats", "Connect", "Shutdown",
            ])
        let agent = try #require(ours.services[".grpc.AgentService"])
        #expect(
            agent.method.map(\.name) == [
                "CreateContainer", "StartContainer", "RemoveContainer", "ExecProcess", "SignalProcess",
                "WaitProcess", "UpdateContainer", "UpdateEphemeralMounts", "StatsContainer", "PauseContainer",
                "ResumeContainer", "RemoveStaleVirtiofsShareMounts", "GetDiagnosticData", "WriteStdin",
                "ReadStdout", "ReadStderr", "CloseStdin", "TtyWinResize", "UpdateInterface", "UpdateRoutes",
                "ListInterfaces", "ListRoutes", "AddARPNeighbors", "GetIPTables", "SetIPTables", "GetMetrics",
                "MemAgentMemcgSet", "MemAgentCompactSet", "CreateSandbox", "DestroySandbox", "OnlineCPUMem",
                "ReseedRandomDev", "GetGuestDetails", "MemHotplugByProbe", "SetGuestDateTime", "CopyFile",
                "GetOOMEvent", "AddSwap", "AddSwapPath", "GetVolumeStats", "ResizeVolume", "SetPolicy",
            ])
        let health = try #require(ours.services[".grpc.Health"])
        #expect(health.method.map(\.name) == ["Check", "Version"])
    }
}
