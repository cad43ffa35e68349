import Foundation
import Glibc

/// A loopback server that answers each request with the bytes given for its
/// path (raw HTTP, so that tests can send what a registry might: chunked
/// bodies, redirects, early closes). One thread, one connection at a time.
final class CannedHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let responses: [String: [UInt8]]
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var requestLines: [String] = []

    /// `responses` maps a request target to the raw response; `{port}` in it becomes the server's port.
    init(_ responses: [String: String]) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listener = listener
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 && listen(listener, 8) == 0
            }
        }
        guard ready else {
            close(listener)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        port = UInt16(bigEndian: address.sin_port)
        let port = port
        self.responses = responses.mapValues { Array($0.replacingOccurrences(of: "{port}", with: "\(port)").utf8) }
        Thread.detachNewThread { [self] in serve() }
    }

    /// The request lines seen so far (`GET /path HTTP/1.1`).
    var requests: [String] {
        lock.lock(); defer { lock.unlock() }
        return requestLines
    }

    /// Stops accepting and waits for the thread to end.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        done.wait()
        close(listener)
    }

    private func serve() {
        defer { done.signal() }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            var head: [UInt8] = []
            var byte: UInt8 = 0
            while read(connection, &byte, 1) == 1 {
                head.append(byte)
                if head.suffix(4) == [13, 10, 13, 10] { break }
            }
            let line = String(decoding: head.prefix { $0 != 13 }, as: UTF8.self)
            lock.lock(); requestLines.append(line); lock.unlock()
            let target = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let answer = responses[target] ?? Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8)
            var offset = 0
            while offset < answer.count {
                let n = answer[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                offset += n
            }
            close(connection)
        }
    }
}
