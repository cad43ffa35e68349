import Foundation
import NIOConcurrencyHelpers
import Protocols
import Shim
import SwiftProtobuf
import TestSupport
import Testing
import TTRPC

/// Task events through `Events/Forward`, in order, retried while the receiver is away.
@Suite(.serialized, .timeLimit(.minutes(2))) struct EventPublisherTests {
    static func events(_ id: String) -> [any SwiftProtobuf.Message] {
        [
            Containerd_Events_TaskCreate.with { $0.containerID = id; $0.bundle = "/b/\(id)"; $0.pid = 10 },
            Containerd_Events_TaskStart.with { $0.containerID = id; $0.pid = 10 },
            Containerd_Events_TaskExecAdded.with { $0.containerID = id; $0.execID = "e1" },
            Containerd_Events_TaskExecStarted.with { $0.containerID = id; $0.execID = "e1"; $0.pid = 11 },
            Containerd_Events_TaskExit.with { $0.containerID = id; $0.id = "e1"; $0.pid = 11; $0.exitStatus = 4 },
            Containerd_Events_TaskExit.with { $0.containerID = id; $0.id = id; $0.pid = 10; $0.exitStatus = 3 },
            Containerd_Events_TaskDelete.with { $0.containerID = id; $0.pid = 10; $0.exitStatus = 3 },
        ]
    }

    /// A private containerd 1.6.20 receives them, decodes them and republishes
    /// them in the order they were published.
    @Test func containerdReceivesEventsInOrder() async throws {
        let containerd = try await PrivateContainerd()
        defer { containerd.destroy() }
        let watcher = try containerd.subscribeToEvents()
        defer { watcher.stop() }
        let publisher = EventPublisher(ttrpcAddress: containerd.ttrpcSocket, namespace: "default")
        // `ctr events` says nothing when it has subscribed: send a marker until it shows.
        let marker = "subscribed-\(UInt32.random(in: 0..<UInt32.max))"
        for _ in 0..<40 where !watcher.log.contains(marker) {
            try await publisher.publish(Containerd_Events_TaskOOM.with { $0.containerID = marker })
            await publisher.flush()
            try? await watcher.waitFor("the marker", timeout: 0.5) { watcher.log.contains(marker) }
        }
        let id = "order-\(UInt32.random(in: 0..<UInt32.max))"
        for event in Self.events(id) { try await publisher.publish(event) }
        await publisher.flush()
        #expect(await publisher.dropped.isEmpty)
        try await watcher.waitFor("the task delete", timeout: 20) { watcher.log.contains("/tasks/delete") && watcher.log.contains(id) }
        let topics = watcher.log.split(separator: "\n").filter { $0.contains(id) }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("/tasks/") }.map(String.init)
        }
        #expect(topics == ["/tasks/create", "/tasks/start", "/tasks/exec-added", "/tasks/exec-started", "/tasks/exit", "/tasks/exit", "/tasks/delete"])
        let exits = watcher.log.split(separator: "\n").filter { $0.contains(id) && $0.contains("/tasks/exit") }
        #expect(exits.first?.contains("\"id\":\"e1\"") == true, "an exec's exit carries the exec id")
    }

    /// Events published while the receiver is away are delivered, in order,
    /// once it is there; one that cannot be delivered in time is dropped.
    @Test func eventsWaitForTheReceiverAndKeepTheirOrder() async throws {
        let dir = try makeTemporaryDirectory("events")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let received = NIOLockedValueBox<[(String, String)]>([])
        var service = TTRPCService(name: "containerd.services.events.ttrpc.v1.Events")
        service.addUnary("Forward") { (request: Containerd_Services_Events_Ttrpc_V1_ForwardRequest, context: TTRPCCallContext) in
            received.withLockedValue { $0.append((request.envelope.topic, context.metadataValue("containerd-namespace-ttrpc") ?? "")) }
            #expect(request.envelope.event.typeURL.hasPrefix("containerd.events.Task"))
            return Google_Protobuf_Empty()
        }
        let publisher = EventPublisher(ttrpcAddress: dir + "/events.sock", namespace: "k8s.io")
        for event in Self.events("late") { try await publisher.publish(event) }
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(received.withLockedValue { $0.isEmpty })
        let listener = try await TTRPCServer(services: [service]).listen(on: .unix(path: dir + "/events.sock"))
        await publisher.flush()
        try await listener.close()
        #expect(received.withLockedValue { $0.map(\.0) } == ["/tasks/create", "/tasks/start", "/tasks/exec-added", "/tasks/exec-started", "/tasks/exit", "/tasks/exit", "/tasks/delete"])
        #expect(received.withLockedValue { Set($0.map(\.1)) } == ["k8s.io"])
        #expect(await publisher.dropped.isEmpty)

        let impatient = EventPublisher(ttrpcAddress: dir + "/nobody.sock", namespace: "default", retryFor: .milliseconds(200))
        try await impatient.publish(Containerd_Events_TaskOOM.with { $0.containerID = "x" })
        await impatient.flush()
        #expect(await impatient.dropped == ["/tasks/oom"])
        await #expect(throws: RPCError.self) { try await impatient.publish(Google_Protobuf_Empty()) }
    }
}
