import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

extension ProcessIO {
    /// Where one output stream of the process goes.
    protocol OutputSink: Sendable {
        /// Writes all of `bytes`, waiting while the reader is slow; false when
        /// the sink is broken (its reader went away) or closed: the caller
        /// then discards the bytes and keeps draining the agent.
        func write(_ bytes: [UInt8]) async -> Bool
        /// Closes the descriptor (idempotent); the reader sees end of file.
        func close() async
    }

    /// A FIFO or pipe written through NIO: a slow reader holds back the copy
    /// without holding a thread.
    final class PipeSink: OutputSink {
        private let channel: any Channel
        private let broken = NIOLockedValueBox(false)

        private init(channel: any Channel) {
            self.channel = channel
        }

        /// Takes ownership of `descriptor`, a FIFO or pipe open for writing.
        /// On failure NIO may already have closed it: the caller must not.
        static func start(writing descriptor: Int32) async throws -> PipeSink {
            let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .takingOwnershipOfDescriptor(output: descriptor)
                .get()
            return PipeSink(channel: channel)
        }

        func write(_ bytes: [UInt8]) async -> Bool {
            if broken.withLockedValue({ $0 }) { return false }
            do {
                try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
                return true
            } catch {
                // EPIPE (SIGPIPE is ignored) or a closed channel.
                broken.withLockedValue { $0 = true }
                return false
            }
        }

        func close() async {
            channel.close(promise: nil)
            try? await channel.closeFuture.get()
        }
    }
}
