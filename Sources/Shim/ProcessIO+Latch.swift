import NIOConcurrencyHelpers

extension ProcessIO {
    /// A one-shot event: `wait()` returns once `fire()` has been called, whether before or after.
    final class Latch: Sendable {
        private let state = NIOLockedValueBox<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        var isFired: Bool { state.withLockedValue { $0.fired } }

        func fire() {
            let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
                guard !state.fired else { return [] }
                state.fired = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        func wait() async {
            await withCheckedContinuation { continuation in
                let fired = state.withLockedValue { state -> Bool in
                    if state.fired { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if fired { continuation.resume() }
            }
        }
    }
}
