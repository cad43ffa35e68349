import Glibc
import KataConfig

/// A file a configuration names and a VM needs: QEMU, the guest kernel, the
/// image or initrd, firmware, virtiofsd.
public struct ConfigurationAsset: Sendable, Equatable {
    /// The key that names it: `hypervisor.qemu.kernel`, `hypervisor.qemu.pflashes[0]`.
    public var key: String
    public var path: String

    public init(key: String, path: String) {
        self.key = key
        self.path = path
    }

    /// What is on disk at `path`.
    public enum State: Sendable, Equatable {
        case missing
        /// A regular file (symlinks followed) of `size` bytes.
        case file(size: UInt64)
        /// Something else: a directory, a device.
        case notAFile
    }

    public var state: State {
        var status = stat()
        guard stat(path, &status) == 0 else { return .missing }
        guard status.st_mode & S_IFMT == S_IFREG else { return .notAFile }
        return .file(size: UInt64(status.st_size))
    }

    /// The assets `configuration` uses, in the order a VM needs them. Only
    /// what is set: firmware is optional, virtiofsd only serves `shared_fs = "virtio-fs"`.
    public static func assets(of configuration: KataConfiguration) -> [ConfigurationAsset] {
        let h = configuration.hypervisor
        var assets = [
            ConfigurationAsset(key: "hypervisor.qemu.path", path: h.path),
            ConfigurationAsset(key: "hypervisor.qemu.kernel", path: h.kernel),
        ]
        if let image = h.image { assets.append(ConfigurationAsset(key: "hypervisor.qemu.image", path: image)) }
        if let initrd = h.initrd { assets.append(ConfigurationAsset(key: "hypervisor.qemu.initrd", path: initrd)) }
        if !h.firmware.isEmpty { assets.append(ConfigurationAsset(key: "hypervisor.qemu.firmware", path: h.firmware)) }
        if !h.firmwareVolume.isEmpty {
            assets.append(ConfigurationAsset(key: "hypervisor.qemu.firmware_volume", path: h.firmwareVolume))
        }
        for (index, pflash) in h.pflashes.enumerated() {
            assets.append(ConfigurationAsset(key: "hypervisor.qemu.pflashes[\(index)]", path: pflash))
        }
        if h.sharedFS == .virtioFS {
            assets.append(ConfigurationAsset(key: "hypervisor.qemu.virtio_fs_daemon", path: h.virtioFSDaemon))
        }
        return assets
    }

    /// The problem when the file is not there; `origin` is the file that set the key.
    public func problem(origin: String) -> HostProblem? {
        let found: String
        switch state {
        case .file: return nil
        case .missing: found = "does not exist"
        case .notAFile: found = "is not a regular file"
        }
        let what = path.isEmpty ? "is empty" : "\(path) \(found)"
        return HostProblem(requirement: key, message: "\(key) (set in \(origin)): \(what): \(remedy)")
    }

    private var remedy: String {
        let name = key.split(separator: ".").last.map(String.init) ?? key
        switch key {
        case "hypervisor.qemu.path":
            return "install QEMU (Debian: qemu-system-x86), or set path in [hypervisor.qemu] to the binary"
        case "hypervisor.qemu.virtio_fs_daemon":
            return "install virtiofsd (Debian: virtiofsd or qemu-system-common), set virtio_fs_daemon in [hypervisor.qemu] to it, or choose another shared_fs"
        case "hypervisor.qemu.firmware", "hypervisor.qemu.firmware_volume":
            return "install the firmware (OVMF, or qboot for development), or set \(name) in [hypervisor.qemu] to it (empty for QEMU's own)"
        default:
            return "install Kata's guest assets (or run `make guest` for the development guest), or set \(name) in [hypervisor.qemu] to the file"
        }
    }
}
