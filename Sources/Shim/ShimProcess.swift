import NIOConcurrencyHelpers
import Protocols
import Runtime
import SwiftProtobuf

/// A process as containerd sees it (a container's init or an exec): its
/// state machine, stdio, exit, and the waiters of `Wait`.
final class ShimProcess: Sendable {
    let containerID: String
    /// containerd's exec id; empty for the init process.
    let execID: String
    /// The id the agent knows the process by (Kata sends a new UUID per exec).
    let agentExecID: String
    let stdio: Stdio
    /// The exec's process in agent form (nil for the init process).
    let process: Grpc_Process?

    struct Stdio: Sendable {
        var stdin: String
        var stdout: String
        var stderr: String
        var terminal: Bool
    }

    struct Exit: Sendable {
        var status: UInt32
        var at: Google_Protobuf_Timestamp
    }

    private struct Mutable {
        var state: ProcessState = .created
        var exit: Exit?
        var waiters: [CheckedContinuation<Exit, Never>] = []
        var io: ProcessIO?
    }

    private let mutable = NIOLockedValueBox(Mutable())

    init(containerID: String, execID: String, agentExecID: String, stdio: Stdio, process: Grpc_Process? = nil) {
        self.containerID = containerID
        self.execID = execID
        self.agentExecID = agentExecID
        self.stdio = stdio
        self.process = process
    }

    var isInit: Bool { execID.isEmpty }
    /// The id in TaskExit: the exec id, or the container id for the init process.
    var eventID: String { isInit ? containerID : execID }
    var state: ProcessState { mutable.withLockedValue { $0.state } }
    var exit: Exit? { mutable.withLockedValue { $0.exit } }
    var io: ProcessIO? {
        get { mutable.withLockedValue { $0.io } }
        set { mutable.withLockedValue { $0.io = newValue } }
    }

    /// Applies `event`, or throws FailedPrecondition naming the process.
    @discardableResult
    func transition(_ event: ProcessState.Event) throws -> ProcessState {
        try mutable.withLockedValue { m in
            do {
                m.state = try m.state.after(event)
                return m.state
            } catch {
                throw TaskError.failedPrecondition("\(eventID): \(error)")
            }
        }
    }

    /// Records the exit once; returns false when it was recorded before.
    func recordExit(status: UInt32) -> Bool {
        let (first, waiters, exit) = mutable.withLockedValue { m -> (Bool, [CheckedContinuation<Exit, Never>], Exit?) in
            guard m.exit == nil else { return (false, [], nil) }
            let exit = Exit(status: status, at: EventPublisher.wallClock())
            m.exit = exit
            m.state = (try? m.state.after(.exit)) ?? .stopped
            defer { m.waiters = [] }
            return (true, m.waiters, exit)
        }
        if let exit { for waiter in waiters { waiter.resume(returning: exit) } }
        return first
    }

    /// Returns when the process has exited.
    func waitForExit() async -> Exit {
        await withCheckedContinuation { continuation in
            let done = mutable.withLockedValue { m -> Exit? in
                if let exit = m.exit { return exit }
                m.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}
