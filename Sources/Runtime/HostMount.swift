import CLinux
import Glibc

/// One mount containerd hands over (`CreateTaskRequest.rootfs`) or the shim
/// makes: type, source and options as containerd spells them.
public struct HostMount: Sendable, Equatable {
    public var type: String
    public var source: String
    public var options: [String]

    public init(type: String, source: String, options: [String]) {
        self.type = type
        self.source = source
        self.options = options
    }
}

/// A mount(2) that failed, naming what was mounted where.
public struct MountError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The mount calls the runtime makes, in the shim's own mount namespace.
enum Mounter {
    /// Mounts `mount` at `target` (a directory that exists).
    static func mount(_ mount: HostMount, at target: String) throws {
        let options = MountOptions(mount.options)
        let type = mount.type.isEmpty && options.isBind ? "none" : mount.type
        let rc = cs_mount(mount.source, target, type, options.flags, options.data.joined(separator: ","))
        guard rc == 0 else {
            throw MountError(description: "cannot mount \(mount.type) \(mount.source) on \(target) (options \(mount.options.joined(separator: ","))): \(String(cString: strerror(-rc)))")
        }
    }

    /// Bind-mounts `source` on `target` (recursively), read-only when asked.
    /// Read-only binds need a remount: MS_RDONLY is ignored on the first call.
    static func bind(_ source: String, at target: String, readOnly: Bool = false) throws {
        var rc = cs_mount(source, target, nil, cs_ms_bind() | cs_ms_rec(), nil)
        if rc == 0 && readOnly {
            rc = cs_mount("none", target, nil, cs_ms_bind() | cs_ms_remount() | cs_ms_rdonly(), nil)
            if rc != 0 { _ = cs_umount_detach(target) }
        }
        guard rc == 0 else {
            throw MountError(description: "cannot bind \(source) on \(target): \(String(cString: strerror(-rc)))")
        }
    }

    /// Makes `directory` a mount point of its own whose later submounts
    /// propagate to peers (virtiofsd's copy of it sees containers added after it started).
    static func makeSharedMountPoint(_ directory: String) throws {
        try bind(directory, at: directory)
        let rc = cs_mount("none", directory, nil, cs_ms_shared() | cs_ms_rec(), nil)
        guard rc == 0 else {
            throw MountError(description: "cannot make \(directory) a shared mount: \(String(cString: strerror(-rc)))")
        }
    }

    /// Detaches whatever is mounted at `target` (all of it, stacked mounts too). Errors are ignored: nothing mounted is fine.
    static func unmountAll(_ target: String) {
        while cs_umount_detach(target) == 0 {}
    }

    /// The mount points at or under `directory`, deepest first (from /proc/self/mountinfo).
    static func mountPoints(under directory: String) -> [String] {
        guard let text = try? readText("/proc/self/mountinfo") else { return [] }
        var points: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let point = unescapeMountInfo(String(fields[4]))
            if point == directory || point.hasPrefix(directory + "/") { points.append(point) }
        }
        return points.sorted { $0.count > $1.count }
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    static func unescapeMountInfo(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var out = ""
        var chars = Array(field.utf8)[...]
        var bytes: [UInt8] = []
        while let c = chars.popFirst() {
            if c == UInt8(ascii: "\\"), chars.count >= 3,
               let v = UInt8(String(decoding: chars.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(v)
                chars = chars.dropFirst(3)
            } else {
                bytes.append(c)
            }
        }
        out = String(decoding: bytes, as: UTF8.self)
        return out
    }
}

/// Reads a whole (small) file as text.
func readText(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw MountError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// mkdir -p with `mode` for what it creates.
func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
    var current = ""
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, mode) != 0 && errno != EEXIST {
            throw MountError(description: "cannot create directory \(current): \(String(cString: strerror(errno)))")
        }
    }
}

/// rm -rf that never crosses into a mount: mount points are detached first.
func removeTree(_ path: String) {
    for point in Mounter.mountPoints(under: path) { Mounter.unmountAll(point) }
    removeTreeEntries(path)
}

private func removeTreeEntries(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { removeTreeEntries(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}
