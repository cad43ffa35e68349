/// A containerd runtime handler (the Kubernetes RuntimeClass `handler`):
/// `kata-qemu-coco-dev` runs the shim with `configuration-qemu-coco-dev.toml`.
public struct RuntimeHandler: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    /// The four QEMU classes this runtime ships configuration files for.
    public static let defaults: [RuntimeHandler] = ["kata-qemu", "kata-qemu-coco-dev", "kata-qemu-tdx", "kata-qemu-snp"].map {
        RuntimeHandler(unchecked: $0)
    }

    private init(unchecked name: String) { self.name = name }

    /// A handler named `kata-<x>` (TOML bare-key characters only, since the
    /// name is a key in containerd's configuration).
    public init(_ name: String) throws(InstallerError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
        }
        guard name.hasPrefix("kata-"), name.count > 5, allowed else {
            throw InstallerError("--handlers: \"\(name)\" is not a handler name of the form kata-<x> (letters, digits, - and _), e.g. kata-qemu-coco-dev; its configuration is configuration-<x>.toml")
        }
        self.name = name
    }

    /// `--handlers a,b`: comma-separated names, no repeats.
    public static func list(_ text: String) throws(InstallerError) -> [RuntimeHandler] {
        var handlers: [RuntimeHandler] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(part.filter { $0 != " " })
            let handler = try RuntimeHandler(name)
            guard !handlers.contains(handler) else {
                throw InstallerError("--handlers: \(name) is listed twice")
            }
            handlers.append(handler)
        }
        return handlers
    }

    /// `kata-qemu` → `configuration-qemu.toml`, as kata-deploy names them.
    public var configurationFileName: String { "configuration-\(name.dropFirst("kata-".count)).toml" }

    /// The shim v2 runtime type containerd records for this handler.
    /// containerd 1.7+ runs `runtime_path`; 1.6 runs `shimBinaryName` from its PATH.
    public var runtimeType: String { "io.containerd.\(name).v2" }

    /// The binary containerd derives from `runtimeType`: `containerd-shim-kata-qemu-v2`.
    public var shimBinaryName: String { "containerd-shim-\(name)-v2" }

    public var description: String { name }
}
