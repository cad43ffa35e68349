import Glibc

/// Messages for the operator on stderr, prefixed with the program name.
enum StandardError {
    static func print(_ message: String) {
        OutputDescriptor.write(Array("kata-runtime: \(message)\n".utf8), to: 2)
    }
}

/// Writes to a descriptor directly (C's `stdout`/`stderr` globals are not
/// concurrency-safe in Swift 6).
enum OutputDescriptor {
    static func write(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
