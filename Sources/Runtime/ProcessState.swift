/// The life of a task's process (a container's init or an exec) as containerd
/// sees it, as an explicit state machine: every operation names the state it
/// needs, and an illegal one is refused with FailedPrecondition, never ignored.
public enum ProcessState: String, Sendable, Equatable, CustomStringConvertible {
    case created, running, pausing, paused, stopped, deleted

    public var description: String { rawValue }

    /// What can happen to a process.
    public enum Event: String, Sendable, CustomStringConvertible {
        case start, pause, paused, resume, exit, delete
        public var description: String { rawValue }
    }

    public struct IllegalTransition: Error, Sendable, Equatable, CustomStringConvertible {
        public var state: ProcessState
        public var event: Event
        public init(state: ProcessState, event: Event) {
            self.state = state
            self.event = event
        }
        public var description: String {
            switch (state, event) {
            case (.deleted, _): "process already deleted: cannot \(event) it"
            case (.stopped, .start): "process already exited: cannot start it again"
            case (_, .delete): "cannot delete a \(state) process: kill it and wait for its exit first"
            default: "cannot \(event) a \(state) process"
            }
        }
    }

    /// The state after `event`, or an error saying why it cannot happen.
    public func after(_ event: Event) throws(IllegalTransition) -> ProcessState {
        switch (self, event) {
        case (.created, .start): return .running
        case (.running, .pause): return .pausing
        case (.pausing, .paused): return .paused
        case (.paused, .resume), (.pausing, .resume): return .running
        // A process can end in any live state: a created one that is killed,
        // a frozen one whose VM dies.
        case (.created, .exit), (.running, .exit), (.pausing, .exit), (.paused, .exit): return .stopped
        // Exit reported twice (the agent's WaitProcess and a dying VM): no change.
        case (.stopped, .exit): return .stopped
        case (.created, .delete), (.stopped, .delete): return .deleted
        default: throw IllegalTransition(state: self, event: event)
        }
    }

    /// containerd's task status for this state (`containerd.v1.types.Status`).
    public var containerdStatus: Int {
        switch self {
        case .created: 1
        case .running: 2
        case .stopped, .deleted: 3
        case .paused: 4
        case .pausing: 5
        }
    }
}
