import Glibc

// Small file and directory operations on Glibc, shared by the guest agent
// (a static binary without Foundation) and the host runtime and shim.

/// A file operation that failed: the call, the path and what the system said.
public struct FileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    /// errno of the failed call.
    public var code: Int32

    init(_ call: String, _ path: String, code: Int32 = errno) {
        self.code = code
        self.description = "\(call) \(path): \(String(cString: strerror(code)))"
    }
}

/// A symbolic link's target (readlink(2)).
public func readSymbolicLink(_ path: String) throws(FileError) -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink(path, &buffer, buffer.count - 1)
    guard length >= 0 else { throw FileError("readlink", path) }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The whole of a file.
public func readFile(_ path: String) throws(FileError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileError("open", path) }
    defer { close(fd) }
    return readAll(descriptor: fd)
}

/// The whole of a small text file.
public func readTextFile(_ path: String) throws(FileError) -> String {
    String(decoding: try readFile(path), as: UTF8.self)
}

/// Everything `descriptor` yields until end of file (or an error).
public func readAll(descriptor: Int32) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(descriptor, &buffer, buffer.count)
        if n > 0 { bytes += buffer[0..<n] } else if n < 0 && errno == EINTR { continue } else { return bytes }
    }
}

/// Writes `contents` to `path` (replacing it) with `mode`.
public func writeFile(_ path: String, _ contents: [UInt8], mode: mode_t = 0o644) throws(FileError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw FileError("create", path) }
    defer { close(fd) }
    var offset = 0
    while offset < contents.count {
        let n = contents[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileError("write", path)
        }
        offset += n
    }
}

/// Writes through a temporary file and a rename, so that a reader never sees
/// half of it: the temporary file is new (never a link planted beside the
/// target), gets exactly `mode` whatever the umask, and reaches the disk
/// before the rename.
public func writeFileAtomically(_ path: String, _ contents: [UInt8], mode: mode_t = 0o644) throws(FileError) {
    let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    guard fd >= 0 else { throw FileError("create", temporary) }
    func fail(_ call: String) -> FileError {
        let error = FileError(call, temporary)
        close(fd)
        unlink(temporary)
        return error
    }
    var offset = 0
    while offset < contents.count {
        let n = contents[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw fail("write")
        }
        offset += n
    }
    guard fchmod(fd, mode) == 0 else { throw fail("chmod") }
    guard fsync(fd) == 0 else { throw fail("fsync") }
    close(fd)
    guard rename(temporary, path) == 0 else {
        let error = FileError("rename to", path)
        unlink(temporary)
        throw error
    }
}

/// `mkdir -p` with `mode` for the directories it creates.
public func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(FileError) {
    var current = ""
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, mode) != 0 && errno != EEXIST {
            throw FileError("mkdir", current)
        }
    }
}

/// The names in a directory (no `.` and `..`); empty when it cannot be read.
public func directoryEntries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// `rm -rf` without following symlinks out of the tree.
public func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if st.st_mode & S_IFMT == S_IFDIR {
        for name in directoryEntries(path) { removeTree(path + "/" + name) }
        rmdir(path)
    } else {
        unlink(path)
    }
}
