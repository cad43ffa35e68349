#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The annotations of a bundle's `config.json`: all that `start` and `delete`
/// need of the spec (which shim a task belongs to, whose VM to clean up).
enum BundleAnnotations {
    private struct Spec: Decodable { var annotations: [String: String]? }

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    static func read(bundle: String) throws -> [String: String] {
        let path = bundle + "/config.json"
        guard let bytes = readFileBytes(path) else {
            throw Unreadable(description: "cannot read \(path): \(String(cString: strerror(errno))): is -bundle (or the working directory) a containerd bundle?")
        }
        do {
            return try JSONDecoder().decode(Spec.self, from: Data(bytes)).annotations ?? [:]
        } catch {
            throw Unreadable(description: "\(path) is not an OCI spec: \(error)")
        }
    }
}

/// The whole content of a file, nil when it cannot be read.
func readFileBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return nil }
        if n == 0 { return bytes }
        bytes += buffer[0..<n]
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a
/// reader never sees half of it.
func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw BundleAnnotations.Unreadable(description: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == bytes.count, rename(temporary, path) == 0 else {
        unlink(temporary)
        throw BundleAnnotations.Unreadable(description: "cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
