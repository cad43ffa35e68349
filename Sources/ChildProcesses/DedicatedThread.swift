import Glibc

/// Runs blocking work (a read that may wait for ever) on a thread of its
/// own, so that it holds neither Swift's cooperative pool nor NIO's small
/// thread pool, both of which have as many threads as the machine has cores.
public enum DedicatedThread {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            start { continuation.resume(returning: body()) }
        }
    }

    /// Starts `body` on a new detached thread and returns at once.
    public static func start(_ body: @escaping @Sendable () -> Void) {
        let work = Unmanaged.passRetained(ThreadWork(body)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadWork>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, work)
        pthread_detach(thread)
    }
}

/// The closure a new thread runs (a class, to cross pthread_create's `void *`).
private final class ThreadWork: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
