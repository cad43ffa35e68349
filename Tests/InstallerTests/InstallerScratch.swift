import Foundation
import Installer
import TestSupport

/// A scratch directory with a source tree shaped like /opt/kata-artifacts and
/// an empty host root; removed by `remove()`.
struct InstallerScratch {
    let root: String
    var source: String { root + "/source" }
    var host: String { root + "/host" }
    /// containerd's configuration as the host sees it, and where this process finds it.
    let configOnHost = "/etc/containerd/config.toml"
    var config: String { host + configOnHost }

    /// Files of the source tree (relative path → contents, mode); symlinks separately.
    static let files: [(path: String, contents: String, mode: Int)] = [
        ("bin/containerd-shim-kata-v2", "#!/bin/sh\necho shim\n", 0o755),
        ("bin/kata-runtime", "#!/bin/sh\necho runtime\n", 0o750),
        ("share/kata-containers/vmlinux.container", "guest kernel", 0o644),
        ("share/kata-containers/kata-containers.img", "guest image", 0o640),
    ]
    static let symlinks: [(path: String, target: String)] = [
        ("share/kata-containers/vmlinuz.container", "vmlinux.container"),
        ("share/kata-containers/kata-containers-confidential.img", "kata-containers.img"),
    ]
    static let configurationNames = ["configuration-qemu.toml", "configuration-qemu-coco-dev.toml", "configuration-qemu-tdx.toml", "configuration-qemu-snp.toml"]

    init() throws {
        root = try makeTemporaryDirectory("installer-test")
        let manager = FileManager.default
        try manager.createDirectory(atPath: host, withIntermediateDirectories: true)
        for file in Self.files {
            try write(source + "/" + file.path, file.contents, mode: file.mode)
        }
        for name in Self.configurationNames {
            let text = try String(contentsOfFile: packageRoot + "/configuration/" + name, encoding: .utf8)
            try write(source + "/share/defaults/kata-containers/" + name, text, mode: 0o644)
        }
        for link in Self.symlinks {
            try manager.createSymbolicLink(atPath: source + "/" + link.path, withDestinationPath: link.target)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    func write(_ path: String, _ text: String, mode: Int = 0o644) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func writeConfig(_ text: String) throws { try write(config, text) }

    func read(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    func options(prefix: String = KataLayout.defaultPrefix, handlers: [RuntimeHandler] = RuntimeHandler.defaults) throws -> InstallOptions {
        try InstallOptions(source: source, hostRoot: HostRoot(host), layout: KataLayout(prefix: prefix),
                           containerdConfig: configOnHost, handlers: handlers)
    }

    @discardableResult
    func install(prefix: String = KataLayout.defaultPrefix, handlers: [RuntimeHandler] = RuntimeHandler.defaults) throws -> InstallReport {
        try KataInstaller.install(InstallPlan(options(prefix: prefix, handlers: handlers)))
    }

    @discardableResult
    func uninstall(prefix: String = KataLayout.defaultPrefix) throws -> UninstallReport {
        try KataInstaller.uninstall(hostRoot: HostRoot(host), layout: KataLayout(prefix: prefix))
    }

    /// Every path under `directory` (relative), sorted.
    func tree(_ directory: String) -> [String] {
        ((FileManager.default.subpaths(atPath: directory)) ?? []).sorted()
    }

    func modificationTime(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

/// The hand-written version 3 configuration (containerd 2.x) the tests edit.
let containerdV3Config = """
    # containerd 2.x
    version = 3
    root = "/var/lib/containerd"
    state = "/run/containerd"

    [grpc]
      address = "/run/containerd/containerd.sock"

    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "registry.k8s.io/pause:3.10"

    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          SystemdCgroup = true
    """

/// `containerd config default` of the installed containerd (1.6: version 2).
func containerdDefaultConfig() throws -> String {
    let result = try run(["containerd", "config", "default"], timeout: 30, package: "containerd")
    guard result.succeeded else { throw CommandError(description: "containerd config default: \(result.output)") }
    return result.output
}
