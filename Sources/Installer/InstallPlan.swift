/// Everything an installation will do, worked out (and checked) before the
/// first write: a refusal leaves the node untouched. `--dry-run` prints it.
public struct InstallPlan: Sendable {
    public let options: InstallOptions
    public let source: SourceTree
    public let containerdEdit: ContainerdConfigEdit
    /// The previous installation's record under this prefix, if any.
    public let previous: InstallManifest?

    /// Reads the source, the containerd configuration and any previous manifest.
    public init(_ options: InstallOptions) throws(InstallerError) {
        self.options = options
        guard HostFiles.node(options.hostRoot.path) == .directory else {
            throw InstallerError("--host-root \(options.hostRoot.path): is not a directory (mount the host's / there, e.g. a hostPath volume at /host)")
        }
        source = try SourceTree(root: options.source, handlers: options.handlers)
        let destination = options.hostRoot.resolve(options.layout.prefix)
        if HostFiles.sameFile(source.root, destination) {
            throw InstallerError("--source \(source.root) is the installation itself (\(destination)); pass --source the directory the files come from (the installer image has them in /opt/kata-artifacts)")
        }
        let configPath = options.hostRoot.resolve(options.containerdConfig)
        containerdEdit = try ContainerdConfigEdit.install(
            original: try HostFiles.readConfigIfPresent(configPath), path: configPath,
            handlers: options.handlers, layout: options.layout)
        previous = try KataInstaller.readManifest(hostRoot: options.hostRoot, layout: options.layout)
        // A link of someone else's (another Kata, a file) is never replaced.
        for link in options.shimLinks {
            let path = options.hostRoot.resolve(link.path)
            switch HostFiles.node(path) {
            case .missing: continue
            case .symlink where (try? readSymlink(path)) == link.target: continue
            default:
                throw InstallerError("\(link.path) exists and is not a link to \(link.target): move it away, or pass --shim-link-dir with another directory on containerd's PATH (\"\" for none)")
            }
        }
    }

    /// The files and symlinks to install, as the host will see them.
    public var installedPaths: [String] {
        source.entries.filter(\.isFileOrLink).map { options.layout.path($0.relativePath) }
    }

    /// What `--dry-run` prints.
    public var description: String {
        var lines = ["Would install into \(options.hostRoot.resolve(options.layout.prefix)) (the host's \(options.layout.prefix)) from \(source.root):"]
        lines += installedPaths.map { "  \($0)" }
        lines += options.shimLinks.map { "  \($0.path) -> \($0.target)" }
        let config = options.hostRoot.resolve(options.containerdConfig)
        if containerdEdit.changesFile {
            lines.append("Would \(containerdEdit.original == nil ? "create" : "append to") \(config) (containerd config version \(containerdEdit.block.version.rawValue), \(containerdEdit.block.version.containerdReleases)):")
        } else {
            lines.append("\(config) already has this block (no change):")
        }
        lines.append(containerdEdit.block.text)
        return lines.joined(separator: "\n")
    }
}
