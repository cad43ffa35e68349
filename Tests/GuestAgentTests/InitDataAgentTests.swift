import Agent
import Foundation
@testable import GuestAgent
import KataConfig
import Protocols
import TestSupport
import Testing

/// Initdata from the host's writer (``InitData/diskImage()``) to the agent's
/// policy: the real agent on this host, given the disk image with `--initdata`.
@Suite(.serialized, .timeLimit(.minutes(2))) struct InitDataAgentTests {
    /// Kata's allow-all-except-exec-process sample: every request rule true but ExecProcessRequest.
    static var denyExecPolicy: String {
        var names: [String] = []
        for method in AgentService.methods where !names.contains(method.request) { names.append(method.request) }
        return "package agent_policy\n\n# no exec: it's \"blocked\", even \\ with a backslash\n"
            + names.map { "default \($0) := \($0 != "ExecProcessRequest")\n" }.joined()
    }

    static func toml(policy: String) -> String {
        "version = \"0.1.0\"\nalgorithm = \"sha256\"\n\n[data]\n\"policy.rego\" = '''\n\(policy)'''\n\"aa.toml\" = '''\n[token_configs]\n'''\n"
    }

    /// gzip of `text`, as the annotation carries it.
    static func gzip(_ text: String, in directory: String) throws -> [UInt8] {
        let path = directory + "/initdata.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try run(["gzip", "-kfn", path], package: "gzip")
        guard result.succeeded else { throw CommandError(description: "gzip: \(result.output)") }
        defer { try? FileManager.default.removeItem(atPath: path + ".gz") }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    /// The disk the shim writes for a `cc_init_data` annotation of `toml`.
    static func diskImage(_ toml: String, in directory: String) throws -> [UInt8] {
        let annotation = try gzip(toml, in: directory)
        return try InitData(annotation: Data(annotation).base64EncodedString()).diskImage()
    }

    /// Kata's layout by hand (for payloads the host's parser would refuse).
    static func rawDisk(magic: String = "initdata", payload: [UInt8]) -> [UInt8] {
        var disk = Array(magic.utf8)
        for i in 0..<8 { disk.append(UInt8(truncatingIfNeeded: UInt64(payload.count) >> UInt64(8 * i))) }
        disk += payload
        return disk + [UInt8](repeating: 0, count: (512 - disk.count % 512) % 512)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    // MARK: The reader

    @Test func readsTheHostsDiskImage() throws {
        let directory = try makeTemporaryDirectory("initdata")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.write(try Self.diskImage(Self.toml(policy: Self.denyExecPolicy), in: directory), to: directory + "/data.img")
        let document = try InitDataReader.read(path: directory + "/data.img")
        #expect(document.version == "0.1.0")
        #expect(document.algorithm == "sha256")
        #expect(document.policy == Self.denyExecPolicy)
        #expect(document.data["aa.toml"] == "[token_configs]\n")
    }

    @Test func findsTheDiskBySerial() throws {
        let sys = try makeTemporaryDirectory("sysblock")
        defer { try? FileManager.default.removeItem(atPath: sys) }
        for (device, serial) in [("vda", "kata-rootfs\n"), ("vdb", "initdata\n"), ("pmem0", nil)] as [(String, String?)] {
            try FileManager.default.createDirectory(atPath: sys + "/" + device, withIntermediateDirectories: true)
            if let serial { try serial.write(toFile: sys + "/\(device)/serial", atomically: true, encoding: .utf8) }
        }
        #expect(InitDataReader.findDevice(sysBlock: sys, devDirectory: "/dev") == "/dev/vdb")
        try FileManager.default.removeItem(atPath: sys + "/vdb")
        #expect(InitDataReader.findDevice(sysBlock: sys, devDirectory: "/dev") == nil)
    }

    @Test func refusesBrokenDisks() throws {
        let directory = try makeTemporaryDirectory("initdata")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = try Self.gzip(Self.toml(policy: Self.denyExecPolicy), in: directory)
        let cases: [(bytes: [UInt8], expected: String)] = [
            (Self.rawDisk(magic: "notinitd", payload: good), "does not start with the magic \"initdata\" (found \"notinitd\")"),
            (Array(Self.rawDisk(payload: good).prefix(100)), "is too short for the \(good.count)-byte gzip payload"),
            (Array("initdata".utf8), "is too short for its 16-byte header"),
            (Self.rawDisk(payload: Array("not gzip".utf8)), "cannot be decompressed: not valid gzip"),
            (Self.rawDisk(payload: try Self.gzip("version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"policy.rego\" = 42\n", in: directory)),
             "not valid initdata TOML: line 4: the value of policy.rego is not a string"),
            (Self.rawDisk(payload: try Self.gzip("version = \"0.2.0\"\nalgorithm = \"sha256\"\n", in: directory)),
             "version \"0.2.0\" is not supported"),
            (Self.rawDisk(payload: try Self.gzip("version = \"0.1.0\"\nalgorithm = \"md5\"\n", in: directory)),
             "algorithm \"md5\" is not one of"),
        ]
        for (bytes, expected) in cases {
            try Self.write(bytes, to: directory + "/data.img")
            #expect {
                _ = try InitDataReader.read(path: directory + "/data.img")
            } throws: { error in
                let message = "\(error)"
                return message.hasPrefix("initdata disk \(directory)/data.img") && message.contains(expected)
            }
        }
        #expect(throws: InitDataReadError.self) { try InitDataReader.read(path: directory + "/missing.img") }
    }

    // MARK: The agent

    @Test func policyFromInitDataBlocksExecOnly() async throws {
        let directory = try makeTemporaryDirectory("initdata")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.write(try Self.diskImage(Self.toml(policy: Self.denyExecPolicy), in: directory), to: directory + "/data.img")
        try await HostAgent.with(extraArguments: ["--initdata", directory + "/data.img"]) { agent in
            try await agent.createContainer("box", ["sleep", "1000"])
            try await agent.client.startContainer("box")
            do {
                try await agent.client.execProcess(Grpc_ExecProcessRequest.with {
                    $0.containerID = "box"; $0.execID = "e1"; $0.process = agent.spec(["true"]).process
                })
                Issue.record("ExecProcess was allowed despite initdata's policy")
            } catch {
                #expect("\(error)".contains("ExecProcessRequest is blocked by policy"), "\(error)")
            }
            try await agent.client.signalProcess(container: "box", exec: "box", signal: SIGKILL)
            #expect(try await agent.client.waitProcess(container: "box", exec: "box") == 128 + SIGKILL)
            try await agent.client.removeContainer("box")
            let log = try String(contentsOfFile: agent.directory + "/agent.log", encoding: .utf8)
            #expect(log.contains("initdata from \(directory)/data.img: algorithm sha256, [data] aa.toml, policy.rego; policy.rego is the policy"))
        }
    }

    @Test func withoutPolicyRegoEverythingStaysAllowed() async throws {
        let directory = try makeTemporaryDirectory("initdata")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let toml = "version = \"0.1.0\"\nalgorithm = \"sha512\"\n[data]\n\"cdh.toml\" = 'socket = \"unix:///run/cdh.sock\"'\n"
        try Self.write(try Self.diskImage(toml, in: directory), to: directory + "/data.img")
        try await HostAgent.with(extraArguments: ["--initdata", directory + "/data.img"]) { agent in
            try await agent.createContainer("box", ["sleep", "1000"])
            try await agent.client.startContainer("box")
            try await agent.client.execProcess(Grpc_ExecProcessRequest.with {
                $0.containerID = "box"; $0.execID = "e1"; $0.process = agent.spec(["true"]).process
            })
            #expect(try await agent.client.waitProcess(container: "box", exec: "e1") == 0)
            try await agent.client.signalProcess(container: "box", exec: "box", signal: SIGKILL)
            _ = try await agent.client.waitProcess(container: "box", exec: "box")
            try await agent.client.removeContainer("box")
        }
    }

    /// No disk at all (a host has no virtio-blk disk with serial initdata): allow-all, as before.
    @Test func withoutADiskEverythingStaysAllowed() async throws {
        try await HostAgent.with { agent in
            try await agent.createContainer("box", ["sleep", "1000"])
            try await agent.client.startContainer("box")
            try await agent.client.execProcess(Grpc_ExecProcessRequest.with {
                $0.containerID = "box"; $0.execID = "e1"; $0.process = agent.spec(["true"]).process
            })
            #expect(try await agent.client.waitProcess(container: "box", exec: "e1") == 0)
            try await agent.client.signalProcess(container: "box", exec: "box", signal: SIGKILL)
            _ = try await agent.client.waitProcess(container: "box", exec: "box")
            try await agent.client.removeContainer("box")
            let log = try String(contentsOfFile: agent.directory + "/agent.log", encoding: .utf8)
            #expect(!log.contains("initdata"))
        }
    }

    /// The agent exits before it listens, naming initdata and the problem.
    @Test(arguments: ["magic", "toml", "policy"])
    func agentRefusesToServeWithABadDisk(problem: String) throws {
        let directory = try makeTemporaryDirectory("initdata")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let expected: String
        switch problem {
        case "magic":
            try Self.write(Self.rawDisk(magic: "INITDATA", payload: try Self.gzip(Self.toml(policy: Self.denyExecPolicy), in: directory)),
                           to: directory + "/data.img")
            expected = "initdata disk \(directory)/data.img does not start with the magic \"initdata\""
        case "toml":
            try Self.write(Self.rawDisk(payload: try Self.gzip("version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"policy.rego\" = '''\npackage agent_policy\n", in: directory)),
                           to: directory + "/data.img")
            expected = "initdata disk \(directory)/data.img: the document is not valid initdata TOML: line 4: a '''multi-line literal string''' opened here is never closed"
        default:
            try Self.write(try Self.diskImage(Self.toml(policy: "package agent_policy\ndefault ExecProcessRequest := \n"), in: directory),
                           to: directory + "/data.img")
            expected = "initdata disk \(directory)/data.img: policy.rego cannot be used"
        }
        try "console=ttyS0".write(toFile: directory + "/cmdline", atomically: true, encoding: .utf8)
        let result = try run(
            ["unshare", "--uts", "--mount", "--propagation", "private", HostAgent.executable,
             "--listen", "unix://" + directory + "/agent.sock", "--state-dir", directory + "/state",
             "--kernel-cmdline", directory + "/cmdline", "--guest-components-file", directory + "/guest-components.env",
             "--initdata", directory + "/data.img"],
            timeout: 30)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("refusing to serve: " + expected), "\(result.output)")
        #expect(!result.output.contains("kata-agent ready"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/agent.sock"))
    }
}
