import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One output stream of a process (stdout, stderr, or a terminal), buffered in
/// the agent until the host reads it with ReadStdout / ReadStderr. Reading stops
/// while the buffer is full, so a chatty process is slowed, not the agent.
final class OutputStreamBuffer: Sendable {
    private struct State {
        var buffer = ByteBuffer()
        var finished = false
        var paused = false
        var waiters: [(id: UInt64, max: Int, continuation: CheckedContinuation<[UInt8]?, Never>)] = []
        var nextWaiter: UInt64 = 0
    }

    static let highWater = 1 << 20
    private let state = NIOLockedValueBox(State())
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    /// Starts reading `descriptor` (taking ownership of it).
    static func start(reading descriptor: Int32) async throws -> OutputStreamBuffer {
        let stream = OutputStreamBuffer()
        let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Reader(stream: stream))
                }
            }
            .takingOwnershipOfDescriptor(input: descriptor)
            .get()
        stream.channel.withLockedValue { $0 = channel }
        return stream
    }

    /// Up to `max` bytes; waits for data; nil at the end of the stream. A read
    /// whose caller is cancelled (the host went away) takes nothing with it:
    /// the bytes stay for the next read.
    func read(max: Int) async -> [UInt8]? {
        let ticket = state.withLockedValue { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let result: [UInt8]? = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state -> [UInt8]?? in
                    if state.buffer.readableBytes > 0 {
                        return .some(state.buffer.readBytes(length: min(max, state.buffer.readableBytes)))
                    }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiters.append((ticket, max, continuation))
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<[UInt8]?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == ticket }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
        if let taken = result, !taken.isEmpty, Task.isCancelled {
            // Handed over just as the caller went away: keep it for the next read.
            unread(taken)
            return nil
        }
        resumeReadingIfDrained()
        return result
    }

    /// Hands buffered bytes to waiting readers, oldest first (called under the lock).
    private static func serveWaiters(_ state: inout State) -> [(CheckedContinuation<[UInt8]?, Never>, [UInt8])] {
        var resumed: [(CheckedContinuation<[UInt8]?, Never>, [UInt8])] = []
        while !state.waiters.isEmpty, state.buffer.readableBytes > 0 {
            let waiter = state.waiters.removeFirst()
            resumed.append((waiter.continuation, state.buffer.readBytes(length: min(waiter.max, state.buffer.readableBytes))!))
        }
        return resumed
    }

    /// Puts `bytes` back in front of the buffer and serves whoever waits.
    private func unread(_ bytes: [UInt8]) {
        let resumed = state.withLockedValue { state -> [(CheckedContinuation<[UInt8]?, Never>, [UInt8])] in
            var merged = ByteBufferAllocator().buffer(capacity: bytes.count + state.buffer.readableBytes)
            merged.writeBytes(bytes)
            merged.writeBuffer(&state.buffer)
            state.buffer = merged
            let resumed = Self.serveWaiters(&state)
            return resumed
        }
        for (continuation, data) in resumed { continuation.resume(returning: data) }
    }

    private func resumeReadingIfDrained() {
        let resume = state.withLockedValue { state -> Bool in
            guard state.paused, state.buffer.readableBytes < Self.highWater / 2 else { return false }
            state.paused = false
            return true
        }
        if resume, let channel = channel.withLockedValue({ $0 }) {
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            channel.read()
        }
    }

    fileprivate func append(_ bytes: ByteBuffer, channel: any Channel) {
        var bytes = bytes
        let (resumed, full) = state.withLockedValue { state -> ([(CheckedContinuation<[UInt8]?, Never>, [UInt8])], Bool) in
            state.buffer.writeBuffer(&bytes)
            let resumed = Self.serveWaiters(&state)
            let full = state.buffer.readableBytes >= Self.highWater
            if full { state.paused = true }
            return (resumed, full)
        }
        for (continuation, data) in resumed { continuation.resume(returning: data) }
        if full { channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } }
    }

    fileprivate func finish() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<[UInt8]?, Never>] in
            state.finished = true
            // Data is handed out before EOF: waiters only exist while the buffer is empty.
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Stops reading and ends the stream.
    func close() {
        if let channel = channel.withLockedValue({ $0 }) { channel.close(promise: nil) }
        finish()
    }

    private final class Reader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let stream: OutputStreamBuffer
        init(stream: OutputStreamBuffer) { self.stream = stream }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            stream.append(unwrapInboundIn(data), channel: context.channel)
        }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case ChannelEvent.inputClosed = event {
                stream.finish()
                context.close(promise: nil)
            }
        }
        func channelInactive(context: ChannelHandlerContext) {
            stream.finish()
        }
        // A terminal's master reads EIO once the last slave is closed: the end of the stream.
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            stream.finish()
            context.close(promise: nil)
        }
    }
}

/// A process's stdin (or its terminal, for writing).
final class InputStream: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func start(writing descriptor: Int32) async throws -> InputStream {
        let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptor(output: descriptor)
            .get()
        return InputStream(channel: channel)
    }

    func write(_ bytes: [UInt8]) async throws {
        guard channel.isActive else { throw AgentError(.failedPrecondition, "stdin is closed") }
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    func close() async {
        try? await channel.close()
    }
}
