import Glibc
import NIOConcurrencyHelpers
import NIOPosix

extension ProcessIO {
    /// A regular file (or a character device such as /dev/null) appended to
    /// with blocking writes on threads of its own: epoll cannot wait for files.
    final class FileSink: OutputSink {
        /// Shared by every file sink; kept apart from NIO's singleton pool,
        /// which other code fills with long blocking reads.
        private static let writers: NIOThreadPool = {
            let pool = NIOThreadPool(numberOfThreads: 2)
            pool.start()
            return pool
        }()

        private struct State {
            var descriptor: Int32
            var writing = false
            var broken = false
            var closing = false
            var closeWaiters: [CheckedContinuation<Void, Never>] = []
        }

        private let state: NIOLockedValueBox<State>

        /// Takes ownership of `descriptor`, open for writing (with O_APPEND for a log).
        init(descriptor: Int32) {
            state = NIOLockedValueBox(State(descriptor: descriptor))
        }

        /// Opens `path` to append to it, creating it (mode 0640, as Kata does) when `create` is set.
        static func open(appendingTo path: String, create: Bool) -> Result<FileSink, Errno> {
            let flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0)
            let descriptor = Glibc.open(path, flags, 0o640)
            guard descriptor >= 0 else { return .failure(Errno(errno)) }
            return .success(FileSink(descriptor: descriptor))
        }

        struct Errno: Error { var code: Int32; init(_ code: Int32) { self.code = code } }

        func write(_ bytes: [UInt8]) async -> Bool {
            let descriptor = state.withLockedValue { state -> Int32? in
                guard !state.closing, !state.broken else { return nil }
                state.writing = true
                return state.descriptor
            }
            guard let descriptor else { return false }
            let written = (try? await Self.writers.runIfActive { Self.writeAll(descriptor, bytes) }) ?? false
            // A close() that came during the write left the descriptor to us.
            let closeNow = state.withLockedValue { state -> [CheckedContinuation<Void, Never>]? in
                state.writing = false
                if !written { state.broken = true }
                guard state.closing else { return nil }
                defer { state.closeWaiters = [] }
                return state.closeWaiters
            }
            if let waiters = closeNow {
                Glibc.close(descriptor)
                for waiter in waiters { waiter.resume() }
            }
            return written
        }

        func close() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let descriptor = state.withLockedValue { state -> Int32? in
                    if state.writing {
                        state.closing = true
                        state.closeWaiters.append(continuation)
                        return nil
                    }
                    defer { state.closing = true; state.descriptor = -1 }
                    return state.closing ? -1 : state.descriptor
                }
                guard let descriptor else { return }
                if descriptor >= 0 { Glibc.close(descriptor) }
                continuation.resume()
            }
        }

        private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if n > 0 {
                        offset += n
                    } else if n < 0 && errno == EINTR {
                        continue
                    } else {
                        return false
                    }
                }
                return true
            }
        }
    }
}
