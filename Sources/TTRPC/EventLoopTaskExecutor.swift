import NIOCore

/// A Swift concurrency task executor that runs jobs on a NIO event loop.
/// ttrpc handler tasks prefer their connection's loop, so that a call which
/// only awaits other I/O never leaves the loop: no hop to the cooperative
/// pool and back per request. Handlers must therefore never block.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
