import Foundation
import Protocols
import Shim
import SwiftProtobuf
import TestSupport
import Testing
import TTRPC

/// The built `containerd-shim-kata-v2` run as containerd runs it, without
/// containerd: the start forms of 1.6 and 2.3 (the recorded BootstrapParams),
/// both service names, `-info`, `--version`, `delete`, and how the server
/// process ends (Shutdown, SIGTERM, nobody calling).
@Suite(.serialized) struct ShimBinaryTests {
    let binary = KataTestbed.shimBinary

    /// A bundle with a config.json (and the `log` FIFO containerd makes, held open as containerd does).
    final class Bundle {
        let path: String
        let logReader: Int32
        init(annotations: [String: String] = [:]) throws {
            path = try makeTemporaryDirectory("kbundle")
            let spec: [String: Any] = ["ociVersion": "1.0.2", "root": ["path": "rootfs"], "annotations": annotations]
            try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: path + "/config.json"))
            mkfifo(path + "/log", 0o600)
            logReader = open(path + "/log", O_RDWR | O_NONBLOCK)
        }
        deinit {
            close(logReader)
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    func shim(_ arguments: [String], stdin: Data = Data(), in bundle: Bundle, environment: [String: String] = [:]) throws -> CommandResult {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        return try run([binary] + arguments, environment: env, input: stdin, directory: bundle.path, timeout: 30)
    }

    static func waitForExit(_ pid: Int32, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        // Not our child (start's child): init reaps it, when it gets to it; a zombie has exited.
        func exited() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return true }
            return stat[stat.index(after: close)...].dropFirst().first == "Z"
        }
        while !exited() {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }

    @Test func versionAndInfo() throws {
        let bundle = try Bundle()
        let version = try shim(["--version"], in: bundle)
        #expect(version.succeeded && version.output.contains("io.containerd.kata.v2"))
        let info = try Process.runCapturingStdout(binary, ["-info"])
        let decoded = try Containerd_Types_RuntimeInfo(serializedBytes: [UInt8](info))
        #expect(decoded.name == "io.containerd.kata.v2" && !decoded.version.version.isEmpty)
    }

    /// containerd 1.6: empty stdin, a plain address; the socket is 0600; a pod
    /// container gets its sandbox's address; Shutdown ends the server.
    @Test func startServesTheV2ServiceAndShutsDown() async throws {
        let bundle = try Bundle()
        let id = "bin-\(getpid())"
        let flags = ["-namespace", "default", "-address", bundle.path + "/containerd.sock", "-publish-binary", "/usr/bin/containerd", "-id", id]
        let started = try shim(flags + ["start"], in: bundle)
        #expect(started.succeeded, "\(started.output)")
        let address = try ShimSocketAddress(containerdAddress: bundle.path + "/containerd.sock", namespace: "default", groupID: id)
        #expect(started.output == address.description, "nothing but the address on stdout")
        var st = stat()
        #expect(stat(address.path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let pid = try #require(Int32(try String(contentsOfFile: bundle.path + "/shim.pid", encoding: .utf8)))
        #expect(try String(contentsOfFile: bundle.path + "/address", encoding: .utf8) == address.description)

        // A container of pod `id`: the same address, no new process.
        let member = try Bundle(annotations: ["io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": id])
        let joined = try shim(["-namespace", "default", "-address", bundle.path + "/containerd.sock", "-id", "member", "start"], in: member)
        #expect(joined.output == address.description && !FileManager.default.fileExists(atPath: member.path + "/shim.pid"))

        let client = try await TTRPCClient.connect(to: .unix(path: address.path))
        let connect: Containerd_Task_V2_ConnectResponse = try await client.call(
            service: "containerd.task.v2.Task", method: "Connect", request: Containerd_Task_V2_ConnectRequest.with { $0.id = id })
        #expect(connect.shimPid == UInt32(pid))
        await #expect(throws: RPCError.self) {
            let _: Containerd_Task_V2_StateResponse = try await client.call(
                service: "containerd.task.v2.Task", method: "State", request: Containerd_Task_V2_StateRequest.with { $0.id = "nope" })
        }
        await #expect(throws: RPCError.self) {
            let _: Google_Protobuf_Empty = try await client.call(
                service: "containerd.task.v2.Task", method: "Checkpoint", request: Containerd_Task_V2_CheckpointTaskRequest.with { $0.id = id })
        }
        // A malformed frame closes that connection only.
        let raw = cs_connect(address.path)
        var garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 1, 0]
        _ = write(raw, &garbage, garbage.count)
        close(raw)
        let again: Containerd_Task_V2_ConnectResponse = try await client.call(
            service: "containerd.task.v2.Task", method: "Connect", request: Containerd_Task_V2_ConnectRequest.with { $0.id = id })
        #expect(again.shimPid == UInt32(pid))
        let _: Google_Protobuf_Empty? = try? await client.call(
            service: "containerd.task.v2.Task", method: "Shutdown", request: Containerd_Task_V2_ShutdownRequest.with { $0.id = id })
        await client.close()
        #expect(Self.waitForExit(pid, timeout: 5), "Shutdown with no task left ends the shim")
        #expect(!FileManager.default.fileExists(atPath: address.path), "and removes its socket")
    }

    /// containerd 2.3: BootstrapParams on stdin (the recorded bytes when they are
    /// beside the package), a BootstrapResult back, the v3 service; SIGTERM ends it at once.
    @Test func bootstrapParamsAndTheV3Service() async throws {
        let bundle = try Bundle()
        let trace = packageRoot + "/../shared/reference/traces/bootstrapparams-2.3.4-cri-sandbox-start.bin"
        var params = Containerd_Runtime_Bootstrap_V1_BootstrapParams()
        if let recorded = FileManager.default.contents(atPath: trace) {
            params = try Containerd_Runtime_Bootstrap_V1_BootstrapParams(serializedBytes: [UInt8](recorded))
        } else {
            params.instanceID = "ccbac486390f1b0983067ddf5a5e70cd5cd7d4e3185b78a1869c0d1bdecf4bf3"
            params.namespace = "k8s.io"
        }
        params.socketDir = bundle.path + "/s"
        let result = try Process.runCapturingStdout(binary, ["-namespace", params.namespace, "-address", bundle.path + "/c.sock",
                                                             "-id", params.instanceID, "start"],
                                                    stdin: Data(try params.serializedBytes() as [UInt8]), directory: bundle.path)
        let answer = try Containerd_Runtime_Bootstrap_V1_BootstrapResult(serializedBytes: [UInt8](result))
        #expect(answer.version == 3 && answer.protocol == "ttrpc" && answer.address.hasPrefix("unix://" + bundle.path + "/s/"))
        let pid = try #require(Int32(try String(contentsOfFile: bundle.path + "/shim.pid", encoding: .utf8)))
        let client = try await TTRPCClient.connect(to: try TTRPCEndpoint(parsing: answer.address))
        let connect: Containerd_Task_V2_ConnectResponse = try await client.call(
            service: "containerd.task.v3.Task", method: "Connect", request: Containerd_Task_V2_ConnectRequest())
        #expect(connect.shimPid == UInt32(pid))
        await client.close()
        let signalled = Date()
        kill(pid, SIGTERM)
        #expect(Self.waitForExit(pid, timeout: 5))
        #expect(Date().timeIntervalSince(signalled) < 1, "SIGTERM ends the shim promptly")
    }

    @Test func aShimNobodyCallsExits() throws {
        let bundle = try Bundle()
        let started = try shim(["-namespace", "default", "-address", bundle.path + "/c.sock", "-id", "idle-\(getpid())", "start"],
                               in: bundle, environment: [StartCommand.idleTimeoutVariable: "1"])
        #expect(started.succeeded)
        let pid = try #require(Int32(try String(contentsOfFile: bundle.path + "/shim.pid", encoding: .utf8)))
        #expect(Self.waitForExit(pid, timeout: 10))
    }

    /// `delete` after a crash: a DeleteResponse on stdout, 137, as often as containerd asks.
    @Test func deleteIsIdempotent() throws {
        let bundle = try Bundle()
        for _ in 0..<2 {
            let out = try Process.runCapturingStdout(binary, ["-namespace", "default", "-address", "/c.sock", "-id", "gone-\(getpid())",
                                                              "-bundle", bundle.path, "delete"], directory: bundle.path)
            let response = try Containerd_Task_V2_DeleteResponse(serializedBytes: [UInt8](out))
            #expect(response.exitStatus == 137 && response.exitedAt.seconds > 0)
        }
    }
}

extension Process {
    /// Runs a program and returns its stdout bytes (stderr goes to the test's), failing on a non-zero exit.
    static func runCapturingStdout(_ path: String, _ arguments: [String], stdin: Data = Data(), directory: String? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandError(description: "\(path) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return data
    }
}

private func cs_connect(_ path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
    }
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
    return fd
}
