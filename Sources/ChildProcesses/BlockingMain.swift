import NIOConcurrencyHelpers

/// Runs an async entry point while the main thread waits.
///
/// Swift's async `main` hands the main thread to `dispatch_main()`, which ends
/// it with `pthread_exit`. In a static executable that unwinds the thread with
/// libgcc's unwinder, whose first use sorts every frame description of the
/// binary: about 25 ms natively for our binaries, and more than a second
/// under TCG, before the program does anything. Keeping the main thread
/// blocked avoids it.
public enum BlockingMain {
    /// Runs `body` on the cooperative pool and returns its error, if any,
    /// once it has finished.
    public static func run(_ body: @escaping @Sendable () async throws -> Void) throws {
        let finished = ConditionLock(value: 0)
        let outcome = NIOLockedValueBox<(any Error)?>(nil)
        Task.detached {
            do {
                try await body()
            } catch {
                outcome.withLockedValue { $0 = error }
            }
            finished.lock()
            finished.unlock(withValue: 1)
        }
        finished.lock(whenValue: 1)
        finished.unlock()
        if let error = outcome.withLockedValue({ $0 }) { throw error }
    }
}
