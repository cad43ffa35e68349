#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NIOCore
import Protocols
import SwiftProtobuf
import TTRPC

/// Publishes task events to containerd the way its Go shims do: a ttrpc call
/// `containerd.services.events.ttrpc.v1.Events/Forward` on containerd's ttrpc
/// socket (`TTRPC_ADDRESS`), over one long-lived connection opened lazily.
/// Events go out one at a time in the order they were published (containerd
/// and CRI depend on Create → Start → Exit → Delete); a failed forward is
/// retried with back-off for a while before the event is dropped and logged.
public actor EventPublisher {
    public typealias Clock = @Sendable () -> Google_Protobuf_Timestamp

    private let connection: ReconnectingTTRPCClient
    private let namespace: String
    private let now: Clock
    private let retryFor: Duration
    private var queue: [(topic: String, event: Google_Protobuf_Any, timestamp: Google_Protobuf_Timestamp)] = []
    private var sending = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Events that could not be delivered within `retryFor`, by topic (for logs and tests).
    public private(set) var dropped: [String] = []

    /// - Parameters:
    ///   - ttrpcAddress: containerd's ttrpc socket path (`TTRPC_ADDRESS`).
    ///   - namespace: the `-namespace` flag; sent in the envelope and as ttrpc metadata.
    ///   - retryFor: how long one event is retried before it is given up.
    public init(ttrpcAddress: String, namespace: String, retryFor: Duration = .seconds(30), now: @escaping Clock = EventPublisher.wallClock) {
        self.connection = ReconnectingTTRPCClient(endpoint: .unix(path: ttrpcAddress))
        self.namespace = namespace
        self.retryFor = retryFor
        self.now = now
    }

    public static let wallClock: Clock = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Google_Protobuf_Timestamp(seconds: Int64(ts.tv_sec), nanos: Int32(ts.tv_nsec))
    }

    /// The topic containerd files each event message under.
    public static func topic(of event: any SwiftProtobuf.Message) -> String? {
        switch event {
        case is Containerd_Events_TaskCreate: "/tasks/create"
        case is Containerd_Events_TaskStart: "/tasks/start"
        case is Containerd_Events_TaskExit: "/tasks/exit"
        case is Containerd_Events_TaskDelete: "/tasks/delete"
        case is Containerd_Events_TaskExecAdded: "/tasks/exec-added"
        case is Containerd_Events_TaskExecStarted: "/tasks/exec-started"
        case is Containerd_Events_TaskOOM: "/tasks/oom"
        case is Containerd_Events_TaskPaused: "/tasks/paused"
        case is Containerd_Events_TaskResumed: "/tasks/resumed"
        case is Containerd_Events_TaskCheckpointed: "/tasks/checkpointed"
        default: nil
        }
    }

    /// Queues `event` (a `containerd.events.Task*` message) and returns at once.
    public func publish(_ event: any SwiftProtobuf.Message) throws {
        guard let topic = Self.topic(of: event) else {
            throw RPCError(.invalidArgument, "\(type(of: event).protoMessageName) is not a task event")
        }
        var any = Google_Protobuf_Any()
        // The bare message name: containerd 1.6 looks type URLs up without stripping a prefix.
        any.typeURL = type(of: event).protoMessageName
        any.value = try event.serializedBytes()
        queue.append((topic, any, now()))
        if !sending {
            sending = true
            Task { await self.drain() }
        }
    }

    /// Returns once every queued event has been forwarded or dropped.
    public func flush() async {
        guard sending || !queue.isEmpty else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func drain() async {
        while !queue.isEmpty {
            let next = queue.removeFirst()
            await forward(next.topic, next.event, next.timestamp)
        }
        sending = false
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    private func forward(_ topic: String, _ event: Google_Protobuf_Any, _ timestamp: Google_Protobuf_Timestamp) async {
        var request = Containerd_Services_Events_Ttrpc_V1_ForwardRequest()
        request.envelope.timestamp = timestamp
        request.envelope.namespace = namespace
        request.envelope.topic = topic
        request.envelope.event = event
        let deadline = ContinuousClock.now + retryFor
        var pause = Duration.milliseconds(20)
        while true {
            do {
                let _: Google_Protobuf_Empty = try await connection.call(
                    service: "containerd.services.events.ttrpc.v1.Events", method: "Forward", request: request,
                    timeout: .seconds(5), metadata: [("containerd-namespace-ttrpc", namespace)])
                return
            } catch {
                guard ContinuousClock.now + pause < deadline else {
                    dropped.append(topic)
                    return
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }
}
