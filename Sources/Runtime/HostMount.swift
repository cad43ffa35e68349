import CLinux
import Files
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
        guard let text = try? readTextFile("/proc/self/mountinfo") else { return [] }
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

extension Mounter {
    /// rm -rf that never crosses into a mount: mount points are detached first.
    static func removeTree(_ path: String) {
        for point in mountPoints(under: path) { unmountAll(point) }
        Files.removeTree(path)
    }
}
