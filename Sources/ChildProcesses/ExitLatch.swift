import NIOConcurrencyHelpers

/// The exit status of one process, once it is known, for any number of
/// waiters, whether they ask before or after the exit.
public final class ExitLatch: Sendable {
    private let state = NIOLockedValueBox<(status: ExitStatus?, waiters: [CheckedContinuation<ExitStatus, Never>])>((nil, []))

    public init() {}

    /// The status, once recorded.
    public var status: ExitStatus? { state.withLockedValue { $0.status } }

    /// Records the status (the first one counts) and wakes every waiter.
    public func record(_ status: ExitStatus) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<ExitStatus, Never>] in
            guard state.status == nil else { return [] }
            state.status = status
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// Returns the status once it is recorded.
    public func wait() async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let done = state.withLockedValue { state -> ExitStatus? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}
