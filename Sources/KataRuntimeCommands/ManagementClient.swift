import CLinux
import Glibc

/// A blocking HTTP/1.1 client of a shim's management socket
/// (`/run/vc/sbs/<sid>/shim-monitor.sock`): one request per connection,
/// `Connection: close`, the response read to the end.
public struct ManagementClient: Sendable {
    /// The unix socket.
    public var socketPath: String
    /// How long a request may take, connect to last byte.
    public var timeoutSeconds: Int

    public init(socketPath: String, timeoutSeconds: Int = 30) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    /// `GET path`; any status is returned, the caller decides what fails.
    public func get(path: String) throws(ManagementClientError) -> HTTPResponse {
        guard access(socketPath, F_OK) == 0 else { throw .noSocket(path: socketPath) }
        let fd = cs_unix_connect(socketPath)
        guard fd >= 0 else { throw .connect(path: socketPath, reason: String(cString: strerror(-fd))) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        // The host is a placeholder: HTTP/1.1 requires the header, the socket names the server.
        let request = "GET \(path) HTTP/1.1\r\nHost: shim\r\nUser-Agent: kata-runtime\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        try send(Array(request.utf8), fd: fd)
        let bytes = try receiveAll(fd: fd)
        do {
            return try HTTPResponse(parsing: bytes)
        } catch {
            throw .badResponse(path: socketPath, reason: error.description)
        }
    }

    private func send(_ bytes: [UInt8], fd: Int32) throws(ManagementClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: socketPath, reason: "sending the request: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    private func receiveAll(fd: Int32) throws(ManagementClientError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                bytes += chunk[0..<n]
            } else if n == 0 {
                return bytes
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw .io(path: socketPath, reason: "no complete response within \(timeoutSeconds) s")
            } else {
                throw .io(path: socketPath, reason: "reading the response: \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// Why a management request failed; the message names the socket.
public enum ManagementClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSocket(path: String)
    case connect(path: String, reason: String)
    case io(path: String, reason: String)
    case badResponse(path: String, reason: String)

    public var description: String {
        switch self {
        case .noSocket(let path): return "\(path) does not exist"
        case .connect(let path, let reason): return "cannot connect to \(path): \(reason)"
        case .io(let path, let reason): return "\(path): \(reason)"
        case .badResponse(let path, let reason): return "\(path): \(reason)"
        }
    }
}
