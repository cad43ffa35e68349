import Files
import Glibc
import Protocols

/// Mounts the storages CreateSandbox and CreateContainer name. Supported
/// drivers: `local` (a directory, with `mode=`), `ephemeral` (tmpfs), and the
/// shared file systems `virtio-fs` and `9p`; `image_guest_pull` is
/// `GuestPullStorage`'s.
enum StorageMounter {
    static let supportedDrivers = ["local", "ephemeral", "virtio-fs", "9p", GuestPullStorage.driver]

    /// Prepares `storage`; returns the mount point if something was mounted
    /// there (to unmount later).
    static func mount(_ storage: Grpc_Storage) throws -> String? {
        let point = storage.mountPoint
        guard point.hasPrefix("/"), !point.split(separator: "/").contains("..") else {
            throw AgentError.invalid("storage \(storage.driver): mount_point \"\(point)\" must be an absolute path without \"..\"")
        }
        switch storage.driver {
        case "local":
            try makeDirectories(point)
            if let mode = storage.options.compactMap({ $0.hasPrefix("mode=") ? mode_t($0.dropFirst(5), radix: 8) : nil }).first {
                chmod(point, mode)
            }
            return nil
        case "ephemeral":
            guard storage.fstype == "tmpfs" || storage.fstype.isEmpty else {
                throw AgentError.invalid("storage ephemeral: fstype \"\(storage.fstype)\" is not supported; use tmpfs")
            }
            try makeDirectories(point)
            try mountFilesystem(source: storage.source.isEmpty ? "tmpfs" : storage.source, target: point, type: "tmpfs", options: storage.options)
            return point
        case "virtio-fs":
            try makeDirectories(point)
            try mountFilesystem(source: storage.source, target: point, type: "virtiofs", options: storage.options)
            return point
        case "9p":
            try makeDirectories(point)
            try mountFilesystem(source: storage.source, target: point, type: "9p", options: storage.options)
            return point
        default:
            throw AgentError.invalid("storage driver \"\(storage.driver)\" (mount point \(point)) is not supported by this agent; supported: \(supportedDrivers.joined(separator: ", "))")
        }
    }

    static let flagOptions: [String: UInt] = [
        "ro": UInt(MS_RDONLY), "rw": 0, "nosuid": UInt(MS_NOSUID), "nodev": UInt(MS_NODEV), "noexec": UInt(MS_NOEXEC),
        "sync": UInt(MS_SYNCHRONOUS), "noatime": UInt(MS_NOATIME), "nodiratime": UInt(MS_NODIRATIME),
        "relatime": UInt(MS_RELATIME), "strictatime": UInt(MS_STRICTATIME), "bind": UInt(MS_BIND), "rbind": UInt(MS_BIND | MS_REC),
    ]

    /// mount(2) with fstab-style options: flags become flags, the rest is data.
    static func mountFilesystem(source: String, target: String, type: String, options: [String]) throws {
        var flags: UInt = 0
        var data: [String] = []
        for option in options {
            if let flag = flagOptions[option] { flags |= flag } else { data.append(option) }
        }
        guard Glibc.mount(source, target, type, flags, data.joined(separator: ",")) == 0 else {
            throw AgentError.failed("mount \(type) \(source) on \(target) (options \(options.joined(separator: ","))): \(String(cString: strerror(errno)))")
        }
    }

    static func unmount(_ point: String) {
        if umount2(point, Int32(MNT_DETACH)) != 0 && errno != EINVAL && errno != ENOENT {
            // Still mounted: nothing more to do than report it in the log.
            return
        }
    }
}
