import NIOCore
import NIOPosix

extension ProcessIO {
    /// containerd's stdin FIFO, read through NIO. Opened without waiting for a
    /// writer; epoll reports nothing until one has come, so a writer that
    /// attaches late is not mistaken for end of file.
    final class StdinSource: Sendable {
        private let channel: NIOAsyncChannel<ByteBuffer, Never>

        private init(channel: NIOAsyncChannel<ByteBuffer, Never>) {
            self.channel = channel
        }

        /// Takes ownership of `descriptor`, a FIFO open `O_RDONLY | O_NONBLOCK`.
        /// On failure NIO may already have closed it: the caller must not.
        static func start(reading descriptor: Int32) async throws -> StdinSource {
            let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .takingOwnershipOfDescriptor(input: descriptor) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                    }
                }
            return StdinSource(channel: channel)
        }

        /// Hands what is read to `body`, in chunks of at most `chunkSize`
        /// bytes, until end of file, `close()`, or an error from `body`.
        func forEachChunk(of chunkSize: Int, _ body: ([UInt8]) async throws -> Void) async {
            // The stream ends with an error when the writer hangs up (EPOLLHUP): that is end of file too.
            try? await channel.executeThenClose { inbound, _ in
                for try await var buffer in inbound {
                    while let chunk = buffer.readBytes(length: min(chunkSize, buffer.readableBytes)), !chunk.isEmpty {
                        try await body(chunk)
                    }
                }
            }
        }

        func close() async {
            channel.channel.close(promise: nil)
            try? await channel.channel.closeFuture.get()
        }
    }
}
