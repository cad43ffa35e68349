import Foundation
import Protocols
import SwiftProtobuf
import TestSupport
import Testing
import TTRPC

/// Frames checked by a decoder written in another language (Tests/Interop/ttrpc_peer.py,
/// Python standard library only), in both directions over real sockets.
@Suite struct PythonPeerInteropTests {
    let script = packageRoot + "/Tests/Interop/ttrpc_peer.py"

    struct DecodedRequestFrame: Decodable {
        struct Request: Decodable {
            var service: String
            var method: String
            var payload: String
            var timeout_nano: Int64
            var metadata: [[String: String]]
        }
        var stream: UInt32
        var type: UInt8
        var flags: UInt8
        var request: Request
    }

    struct DecodedResponseFrame: Decodable {
        struct Response: Decodable {
            var code: Int32
            var message: String
            var payload: String
        }
        var stream: UInt32
        var type: UInt8
        var response: Response
    }

    @Test(.timeLimit(.minutes(1)))
    func framesOurClientWritesDecodeInPython() async throws {
        let dir = try makeTemporaryDirectory("ttrpc-py")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/peer.sock"
        let peer = try BackgroundProcess(["python3", script, "serve", path], logPath: dir + "/peer.log")
        defer { peer.stop() }
        try await peer.waitFor("the python peer to listen") { peer.log.contains("listening") }

        let client = try await TTRPCClient.connect(to: .unix(path: path))
        let payload = Data((0..<300).map { UInt8($0 % 251) })
        let answer = try await client.call(service: "containerd.task.v2.Task", method: "State", payload: payload,
                                           timeout: .seconds(7), metadata: [("containerd-namespace-ttrpc", "k8s.io")])
        #expect(answer == Data(payload.reversed()))
        // The peer's status travels back as a typed error.
        await #expect(throws: RPCError(code: .notFound, message: "thing: not found")) {
            _ = try await client.call(service: "containerd.task.v2.Task", method: "Delete", payload: Data())
        }
        await client.close()
        try await peer.waitFor("the python peer to exit") { !peer.isRunning }

        let lines = peer.log.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == 2)
        let first = try JSONDecoder().decode(DecodedRequestFrame.self, from: Data(lines[0].utf8))
        #expect(first.stream == 1 && first.type == 1 && first.flags == 0)
        #expect(first.request.service == "containerd.task.v2.Task")
        #expect(first.request.method == "State")
        #expect(first.request.payload == payload.map { String(format: "%02x", $0) }.joined())
        #expect(first.request.timeout_nano == 7_000_000_000)
        #expect(first.request.metadata == [["key": "containerd-namespace-ttrpc", "value": "k8s.io"]])
        let second = try JSONDecoder().decode(DecodedRequestFrame.self, from: Data(lines[1].utf8))
        #expect(second.stream == 3, "client stream ids are odd and increasing")
        #expect(second.request.method == "Delete")
    }

    @Test(.timeLimit(.minutes(1)))
    func pythonClientCallsOurServer() async throws {
        var service = TTRPCService(name: "containerd.task.v2.Task")
        service.addUnary("Connect") { (request: Containerd_Task_V2_ConnectRequest, context: TTRPCCallContext) in
            var response = Containerd_Task_V2_ConnectResponse()
            response.shimPid = 77
            response.taskPid = UInt32(request.id.count)
            response.version = context.metadataValue("containerd-namespace-ttrpc") ?? "none"
            return response
        }
        let dir = try makeTemporaryDirectory("ttrpc-py")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let listener = try await TTRPCServer(services: [service]).listen(on: .unix(path: dir + "/ours.sock"))
        defer { Task { try? await listener.close() } }

        var request = Containerd_Task_V2_ConnectRequest()
        request.id = "abcdef"
        let requestBytes: [UInt8] = try request.serializedBytes()
        let hex = requestBytes.map { String(format: "%02x", $0) }.joined()
        let result = try await NIOOffPool.run {
            try run(["python3", script, "call", dir + "/ours.sock", "containerd.task.v2.Task", "Connect", hex, "1000000000"])
        }
        #expect(result.succeeded, "\(result.output)")
        let frame = try JSONDecoder().decode(DecodedResponseFrame.self, from: Data(result.output.utf8))
        #expect(frame.stream == 1 && frame.type == 2)
        #expect(frame.response.code == 0)
        let response = try Containerd_Task_V2_ConnectResponse(serializedBytes: Array(hexBytes: frame.response.payload))
        #expect(response.shimPid == 77 && response.taskPid == 6 && response.version == "default")

        let missing = try await NIOOffPool.run {
            try run(["python3", script, "call", dir + "/ours.sock", "containerd.task.v2.Task", "Checkpoint", ""])
        }
        let unimplemented = try JSONDecoder().decode(DecodedResponseFrame.self, from: Data(missing.output.utf8))
        #expect(unimplemented.response.code == RPCStatusCode.unimplemented.rawValue)
        #expect(unimplemented.response.message == "method Checkpoint")
    }
}

extension Array where Element == UInt8 {
    init(hexBytes hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }
}
