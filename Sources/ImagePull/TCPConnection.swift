import Glibc

/// A blocking TCP connection with a connect timeout and a per-read timeout,
/// buffered for reading HTTP heads line by line.
final class TCPConnection {
    private let descriptor: Int32
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    private var start = 0
    private var end = 0

    /// Connects to `address` within `connectTimeout` seconds; reads and
    /// writes then fail after `ioTimeout` seconds without progress.
    init(to address: SocketAddress, connectTimeout: Double, ioTimeout: Double) throws(HTTPFailure) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw HTTPFailure(kind: .unreachable, description: "socket: \(String(cString: strerror(errno)))") }
        // Non-blocking only for connect, so that the wait is bounded by poll.
        let started = address.withSockaddr { connect(fd, $0, $1) }
        if started != 0 {
            let code = errno
            guard code == EINPROGRESS else {
                close(fd)
                throw HTTPFailure(kind: .unreachable, description: String(cString: strerror(code)).lowercased())
            }
            var waiter = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&waiter, 1, Int32(connectTimeout * 1000))
            if ready == 0 {
                close(fd)
                throw HTTPFailure(kind: .unreachable, description: "no connection within \(connectTimeout) s")
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if ready < 0 || failure != 0 {
                let code = ready < 0 ? errno : failure
                close(fd)
                throw HTTPFailure(kind: .unreachable, description: String(cString: strerror(code)).lowercased())
            }
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        var timeout = timeval(tv_sec: Int(ioTimeout), tv_usec: Int((ioTimeout - ioTimeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        descriptor = fd
        self.ioTimeout = ioTimeout
    }

    private let ioTimeout: Double

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    func write(_ bytes: [UInt8]) throws(HTTPFailure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("send")
            }
            offset += n
        }
    }

    private func failure(_ call: String) -> HTTPFailure {
        if errno == EAGAIN || errno == EWOULDBLOCK {
            return HTTPFailure(kind: .interrupted, description: "no answer within \(ioTimeout) s")
        }
        return HTTPFailure(kind: .interrupted, description: "\(call): \(String(cString: strerror(errno)).lowercased())")
    }

    /// Refills the buffer; false at end of stream.
    private func fill() throws(HTTPFailure) -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            // Keep the unread part; only heads need this, bodies are drained first.
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
            if end == buffer.count { throw HTTPFailure(kind: .malformed, description: "a header line longer than \(buffer.count) bytes") }
        }
        while true {
            let n = recv(descriptor, buffer.baseAddress! + end, buffer.count - end, 0)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("recv")
            }
            end += n
            return n > 0
        }
    }

    /// One line without its CRLF (or LF); nil at end of stream before any byte.
    func readLine() throws(HTTPFailure) -> String? {
        var line: [UInt8] = []
        while true {
            if start == end {
                guard try fill() else {
                    return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
                }
            }
            while start < end {
                let byte = buffer[start]
                start += 1
                if byte == 0x0A {
                    if line.last == 0x0D { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                line.append(byte)
                if line.count > 65536 { throw HTTPFailure(kind: .malformed, description: "a header line longer than 64 KiB") }
            }
        }
    }

    /// Hands up to `limit` bytes to `body`; 0 at end of stream.
    func read(upTo limit: Int, _ body: (UnsafeRawBufferPointer) throws(HTTPFailure) -> Void) throws(HTTPFailure) -> Int {
        if start == end {
            guard try fill() else { return 0 }
        }
        let count = min(limit, end - start)
        let chunkStart = start
        start += count
        try body(UnsafeRawBufferPointer(rebasing: buffer[chunkStart..<chunkStart + count]))
        return count
    }
}
