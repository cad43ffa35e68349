import Foundation
import Protocols
import SwiftProtobuf
import Testing

/// Known bytes in, known bytes out: the generated types put the right field
/// numbers and encodings on the wire.
@Suite struct WireFormatTests {
    static let bootstrapCapture = Support.tracesDirectory
        .appendingPathComponent("bootstrapparams-2.3.4-cri-sandbox-start.bin")

    @Test func deleteResponseBytes() throws {
        var exitedAt = Google_Protobuf_Timestamp()
        exitedAt.seconds = 1_700_000_000
        exitedAt.nanos = 123_456_789
        var response = Containerd_Task_V2_DeleteResponse()
        response.pid = 1234
        response.exitStatus = 137
        response.exitedAt = exitedAt

        let expected: [UInt8] = [
            0x08, 0xD2, 0x09,  // 1: pid 1234
            0x10, 0x89, 0x01,  // 2: exit_status 137
            0x1A, 0x0B,  // 3: exited_at, 11 bytes
            0x08, 0x80, 0xE2, 0xCF, 0xAA, 0x06,  // seconds 1700000000
            0x10, 0x95, 0x9A, 0xEF, 0x3A,  // nanos 123456789
        ]
        let bytes: [UInt8] = try response.serializedBytes()
        #expect(bytes == expected)
        #expect(try Containerd_Task_V2_DeleteResponse(serializedBytes: expected) == response)
    }

    @Test func negativeLogLevelIsATenByteVarint() throws {
        var params = Containerd_Runtime_Bootstrap_V1_BootstrapParams()
        params.logLevel = .debug
        let bytes: [UInt8] = try params.serializedBytes()
        #expect(bytes == [0x18, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try Containerd_Runtime_Bootstrap_V1_BootstrapParams(serializedBytes: bytes).logLevel == .debug)
        #expect(Containerd_Runtime_Bootstrap_V1_LogLevel.trace.rawValue == -8)
        #expect(Containerd_Runtime_Bootstrap_V1_LogLevel.panic.rawValue == 12)

        // An unknown level survives a round trip (open enum).
        let unknown: [UInt8] = [0x18, 0x02]
        let decoded = try Containerd_Runtime_Bootstrap_V1_BootstrapParams(serializedBytes: unknown)
        #expect(decoded.logLevel == .UNRECOGNIZED(2))
        #expect(try decoded.serializedBytes() == unknown)
    }

    @Test(
        .enabled(if: FileManager.default.fileExists(atPath: bootstrapCapture.path),
            "needs ../shared/reference/traces next to the package"))
    func bootstrapParamsFromContainerd234() throws {
        let capture = try [UInt8](Data(contentsOf: Self.bootstrapCapture))
        let params = try Containerd_Runtime_Bootstrap_V1_BootstrapParams(serializedBytes: capture)

        #expect(params.instanceID == "ccbac486390f1b0983067ddf5a5e70cd5cd7d4e3185b78a1869c0d1bdecf4bf3")
        #expect(params.namespace == "k8s.io")
        #expect(params.logLevel == .debug)
        #expect(params.containerdVersion == "v2.3.4")
        #expect(params.containerdTtrpcAddress == "/tmp/ctrd23/containerd.sock.ttrpc")
        #expect(params.containerdGrpcAddress == "/tmp/ctrd23/containerd.sock")
        #expect(params.containerdBinary == "/tmp/build/containerd-v2.3.4/bin/containerd")
        #expect(params.hasSocketDir)
        #expect(params.socketDir == "/run/containerd/s")
        #expect(params.unknownFields.data.isEmpty)

        #expect(params.extensions.count == 1)
        let any = try #require(params.extensions.first?.value)
        #expect(any.typeURL == "runtimeoptions.v1.Options")
        #expect(any.isA(Runtimeoptions_V1_Options.self))
        let options = try Runtimeoptions_V1_Options(unpackingAny: any)
        #expect(options.configPath == "/etc/kata-containers/configuration-qemu-coco-dev.toml")
        #expect(options.typeURL.isEmpty)
        #expect(options.configBody.isEmpty)

        // Fields are in number order on both sides, so re-encoding is byte exact.
        let reencoded: [UInt8] = try params.serializedBytes()
        #expect(reencoded == capture)
    }

    @Test func runtimeOptionsAnyAsCRISendsIt() throws {
        var options = Runtimeoptions_V1_Options()
        options.configPath = "/etc/kata-containers/configuration-qemu-coco-dev.toml"
        var any = try Google_Protobuf_Any(message: options)
        #expect(any.typeURL == "type.googleapis.com/runtimeoptions.v1.Options")
        // CRI uses a bare type URL; both forms unpack.
        any.typeURL = "runtimeoptions.v1.Options"
        #expect(try Runtimeoptions_V1_Options(unpackingAny: any) == options)
        let bytes: [UInt8] = try options.serializedBytes()
        #expect(bytes.prefix(2) == [0x12, 0x35])  // 2: config_path, 53 bytes
    }

    @Test func ttrpcRequestBytes() throws {
        var request = Ttrpc_Request()
        request.service = "containerd.task.v2.Task"
        request.method = "Wait"
        request.payload = Data([0x0A, 0x01, 0x61])
        request.timeoutNano = 1
        var metadata = Ttrpc_KeyValue()
        metadata.key = "containerd-namespace-ttrpc"
        metadata.value = "k8s.io"
        request.metadata = [metadata]

        let bytes: [UInt8] = try request.serializedBytes()
        var expected: [UInt8] = [0x0A, 23] + Array("containerd.task.v2.Task".utf8)
        expected += [0x12, 4] + Array("Wait".utf8)
        expected += [0x1A, 3, 0x0A, 0x01, 0x61]
        expected += [0x20, 0x01]
        expected += [0x2A, 36, 0x0A, 26] + Array("containerd-namespace-ttrpc".utf8) + [0x12, 6] + Array("k8s.io".utf8)
        #expect(bytes == expected)

        var status = Google_Rpc_Status()
        status.code = 5
        status.message = "not found"
        var response = Ttrpc_Response()
        response.status = status
        let decoded = try Ttrpc_Response(serializedBytes: try response.serializedBytes() as [UInt8])
        #expect(decoded.status.code == 5)
        #expect(decoded.status.message == "not found")
    }

    @Test func taskExitEventInAnEnvelope() throws {
        var exit = Containerd_Events_TaskExit()
        exit.containerID = "c1"
        exit.id = "c1"
        exit.pid = 30166
        exit.exitStatus = 143
        var envelope = Containerd_Services_Events_Ttrpc_V1_Envelope()
        envelope.namespace = "k8s.io"
        envelope.topic = "/tasks/exit"
        envelope.event = try Google_Protobuf_Any(message: exit, typePrefix: "")
        // containerd publishes bare type URLs ("containerd.events.TaskExit").
        envelope.event.typeURL = "containerd.events.TaskExit"
        var forward = Containerd_Services_Events_Ttrpc_V1_ForwardRequest()
        forward.envelope = envelope

        let bytes: [UInt8] = try forward.serializedBytes()
        let decoded = try Containerd_Services_Events_Ttrpc_V1_ForwardRequest(serializedBytes: bytes)
        #expect(decoded.envelope.topic == "/tasks/exit")
        #expect(try Containerd_Events_TaskExit(unpackingAny: decoded.envelope.event) == exit)
    }

    @Test func kataAgentRequestBytes() throws {
        var request = Grpc_WaitProcessRequest()
        request.containerID = "c"
        request.execID = "e"
        #expect(try request.serializedBytes() == [0x0A, 0x01, 0x63, 0x12, 0x01, 0x65] as [UInt8])

        var syscall = Grpc_LinuxSyscall()
        syscall.names = ["ptrace"]
        syscall.errnoret = 0  // set to zero is still sent: it is in a oneof
        let syscallBytes: [UInt8] = try syscall.serializedBytes()
        #expect(syscallBytes.suffix(2) == [0x18, 0x00])

        var memcg = Grpc_MemAgentMemcgConfig()
        memcg.disabled = false  // proto3 optional: explicit false is sent
        #expect(try memcg.serializedBytes() == [0x08, 0x00] as [UInt8])

        var route = Types_Route()
        route.dest = "10.0.0.0/8"
        route.family = .v4
        route.flags = 4
        let decoded = try Types_Route(serializedBytes: try route.serializedBytes() as [UInt8])
        #expect(decoded == route)
    }
}
