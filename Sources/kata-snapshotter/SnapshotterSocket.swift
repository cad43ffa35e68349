import Files
import Glibc

/// The listening socket's path.
enum SnapshotterSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Makes the socket's directory and removes a socket left by a previous
    /// run; refuses to remove anything that is not a socket.
    static func prepare(_ path: String) throws {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]), mode: 0o700)
        }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw Failure("--address \(path) exists and is not a socket; remove it or choose another path")
        }
        guard unlink(path) == 0 else {
            throw Failure("cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }
}
