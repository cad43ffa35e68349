#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

extension ProcessIO {
    /// containerd's stdin FIFO, opened without waiting for its writer.
    static func openStdin(_ path: String) async throws -> StdinSource {
        let descriptor = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw OpenError(.stdin, path, errno: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFIFO else {
            Glibc.close(descriptor)
            throw OpenError(.stdin, path, reason: "not a FIFO")
        }
        do {
            return try await StdinSource.start(reading: descriptor)
        } catch {
            throw OpenError(.stdin, path, reason: "\(error)")
        }
    }

    /// An output FIFO, or (as with containerd's runc shim) an existing file
    /// or device to append to.
    static func openOutput(_ path: String, field: StdioURI.Field) async throws -> any OutputSink {
        var info = stat()
        guard stat(path, &info) == 0 else { throw OpenError(field, path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFIFO else {
            return try openFile(path, create: false, field: field)
        }
        // Read-write: opening never waits for containerd's reader, and
        // writes are valid before it attaches.
        let descriptor = Glibc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw OpenError(field, path, errno: errno) }
        do {
            return try await PipeSink.start(writing: descriptor)
        } catch {
            throw OpenError(field, path, reason: "\(error)")
        }
    }

    static func openFile(_ path: String, create: Bool, field: StdioURI.Field) throws -> FileSink {
        switch FileSink.open(appendingTo: path, create: create) {
        case let .success(sink): return sink
        case let .failure(error): throw OpenError(field, path, errno: error.code)
        }
    }

    /// `mkdir -p` of a log file's directory (mode 0755, as Kata does).
    static func makeParentDirectory(of path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let directory = String(path[..<slash])
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            throw OpenError(.stdout, directory, reason: "\(error)")
        }
    }
}
