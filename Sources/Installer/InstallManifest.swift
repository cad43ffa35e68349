/// What an installation wrote, kept at `<prefix>/kata-runtime-install.manifest`
/// so that uninstall removes exactly that. Paths are the host's own, so that
/// a node installed from the installer pod (`--host-root /host`) can be
/// uninstalled on the node itself and the other way round.
///
/// One entry a line, kind and path separated by a tab:
///
///     prefix              /opt/kata
///     directory           /opt/kata/bin            (created by the installation)
///     file                /opt/kata/bin/kata-runtime
///     symlink             /opt/kata/share/kata-containers/vmlinux.container
///     containerd-config   /etc/containerd/config.toml
///     containerd-backup   /etc/containerd/config.toml.kata-shim.bak   (or containerd-created)
public struct InstallManifest: Sendable, Equatable {

    public var prefix: String
    /// Directories the installation created, parents first.
    public var createdDirectories: [String] = []
    /// Files and symlinks.
    public var entries: [InstalledEntry] = []
    public var containerdConfig: String?
    /// The original's copy; nil when there was no file and the installation created it.
    public var containerdBackup: String?
    public var containerdConfigCreated = false

    public init(prefix: String) { self.prefix = prefix }

    static let header = "# kata-runtime install: what kata-runtime uninstall removes (paths as the host sees them)"

    public var text: String {
        var lines = [Self.header, "prefix\t\(prefix)"]
        lines += createdDirectories.map { "directory\t\($0)" }
        lines += entries.map { "\($0.kind.rawValue)\t\($0.path)" }
        if let containerdConfig { lines.append("containerd-config\t\(containerdConfig)") }
        if let containerdBackup { lines.append("containerd-backup\t\(containerdBackup)") }
        if containerdConfigCreated { lines.append("containerd-created\t") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a manifest; an unknown or malformed line names the file and line.
    public init(parsing text: String, path: String) throws(InstallerError) {
        var prefix: String?
        var manifest = InstallManifest(prefix: "")
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            let kind = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            let needsPath = kind != "containerd-created"
            if needsPath && (!value.hasPrefix("/") || Self.unusablePathReason(value) != nil) {
                throw InstallerError("\(path):\(number + 1): \"\(line)\" is not `<kind><TAB><absolute path>`; the manifest was edited or damaged: remove the listed files by hand, or delete the manifest to start over")
            }
            switch kind {
            case "prefix": prefix = value
            case "directory": manifest.createdDirectories.append(value)
            case "file": manifest.entries.append(InstalledEntry(kind: .file, path: value))
            case "symlink": manifest.entries.append(InstalledEntry(kind: .symlink, path: value))
            case "containerd-config": manifest.containerdConfig = value
            case "containerd-backup": manifest.containerdBackup = value
            case "containerd-created": manifest.containerdConfigCreated = true
            default:
                throw InstallerError("\(path):\(number + 1): unknown entry \"\(kind)\" (known: prefix, directory, file, symlink, containerd-config, containerd-backup, containerd-created)")
            }
        }
        guard let prefix else {
            throw InstallerError("\(path): has no `prefix` line; it is not a kata-runtime install manifest")
        }
        manifest.prefix = prefix
        self = manifest
    }

    /// Why `path` cannot be recorded (one line each, no `..`), or nil.
    static func unusablePathReason(_ path: String) -> String? {
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains a control character (tab, newline, ...)"
        }
        if path.split(separator: "/").contains("..") {
            return "contains a `..` component; give the path without it"
        }
        return nil
    }
}
