import Foundation
import Protocols
import SwiftProtobuf
import TestSupport
import Testing
import TTRPC

/// Our ttrpc client against containerd's own ttrpc server: the path every shim
/// event takes (`containerd.services.events.ttrpc.v1.Events/Forward`).
@Suite(.serialized) struct ContainerdEventsInteropTests {
    @Test(.timeLimit(.minutes(2)))
    func taskExitForwardedToContainerdIsReceived() async throws {
        let containerd = try await PrivateContainerd()
        defer { containerd.destroy() }
        let events = try containerd.subscribeToEvents()
        defer { events.stop() }

        var exit = Containerd_Events_TaskExit()
        exit.containerID = "ttrpc-interop-\(UInt32.random(in: 0..<UInt32.max))"
        exit.id = "exec-7"
        exit.pid = 4242
        exit.exitStatus = 3
        exit.exitedAt = Google_Protobuf_Timestamp(seconds: 1_764_500_000, nanos: 5)
        var event = Google_Protobuf_Any()
        event.typeURL = "containerd.events.TaskExit"  // bare name, as containerd's shims send it
        event.value = try exit.serializedBytes()
        var forward = Containerd_Services_Events_Ttrpc_V1_ForwardRequest()
        forward.envelope.timestamp = Google_Protobuf_Timestamp(seconds: 1_764_500_001, nanos: 0)
        forward.envelope.namespace = "default"
        forward.envelope.topic = "/tasks/exit"
        forward.envelope.event = event

        // `ctr events` shows only what arrives after it has subscribed, and says
        // nothing when it has: forward until the event shows up (a loaded machine
        // may take a while to start ctr).
        let client = try await TTRPCClient.connect(to: .unix(path: containerd.ttrpcSocket))
        for _ in 0..<30 where !events.log.contains(exit.containerID) {
            let _: Google_Protobuf_Empty = try await client.call(
                service: "containerd.services.events.ttrpc.v1.Events", method: "Forward", request: forward,
                timeout: .seconds(5), metadata: [("containerd-namespace-ttrpc", "default")])
            try? await events.waitFor("the TaskExit in `ctr events`", timeout: 1) { events.log.contains(exit.containerID) }
        }
        await client.close()

        // containerd decoded the event (it prints the fields as JSON) and republished it.
        try await events.waitFor("the TaskExit in `ctr events`", timeout: 5) {
            events.log.contains(exit.containerID)
        }
        let line = events.log.split(separator: "\n").first { $0.contains(exit.containerID) }.map(String.init) ?? ""
        #expect(line.contains("default /tasks/exit"), "\(line)")
        #expect(line.contains("\"exit_status\":3"), "\(line)")
        #expect(line.contains("\"id\":\"exec-7\""), "\(line)")
        #expect(line.contains("\"pid\":4242"), "\(line)")
    }

    /// containerd answers an unknown method with Unimplemented, which our client types.
    @Test(.timeLimit(.minutes(2)))
    func containerdErrorsArriveTyped() async throws {
        let containerd = try await PrivateContainerd()
        defer { containerd.destroy() }
        let client = try await TTRPCClient.connect(to: .unix(path: containerd.ttrpcSocket))
        do {
            _ = try await client.call(service: "containerd.services.events.ttrpc.v1.Events", method: "Publish", payload: Data(), timeout: .seconds(5))
            Issue.record("expected Unimplemented")
        } catch let error as RPCError {
            #expect(error.code == .unimplemented)
            #expect(error.errorClass == .notImplemented)
        }
        await client.close()
    }
}
