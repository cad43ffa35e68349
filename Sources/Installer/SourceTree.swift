import Files
import Glibc

/// The tree an installation copies: a directory shaped like the installed
/// prefix (`bin/`, `share/defaults/kata-containers/`, `share/kata-containers/`),
/// such as `/opt/kata-artifacts` in the installer image.
public struct SourceTree: Sendable {
    /// One thing under the source's installed directories.
    public struct Entry: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case directory(mode: mode_t)
            case file(mode: mode_t)
            case symlink(target: String)
        }

        /// Relative to the source (and to the prefix), e.g. `bin/kata-runtime`.
        public var relativePath: String
        public var kind: Kind
    }

    /// As this process sees it.
    public let root: String
    /// Parents before children, names sorted.
    public let entries: [Entry]

    /// Lists `root`'s installed directories; refuses a source without the shim
    /// or without a configuration file one of `handlers` needs.
    public init(root: String, handlers: [RuntimeHandler]) throws(InstallerError) {
        guard root.hasPrefix("/") else {
            throw InstallerError("--source \(root): must be an absolute path")
        }
        self.root = HostRoot.normalized(root)
        var entries: [Entry] = []
        for directory in KataLayout.installedDirectories {
            try Self.collect(self.root, directory, into: &entries)
        }
        self.entries = entries
        let expected = Self.expectedShape
        guard entries.contains(where: { $0.relativePath == KataLayout.shimRelativePath && $0.isFileOrLink }) else {
            throw InstallerError("--source \(self.root): has no \(KataLayout.shimRelativePath); \(expected)")
        }
        for handler in handlers {
            let relative = KataLayout.configurationDirectory + "/" + handler.configurationFileName
            guard entries.contains(where: { $0.relativePath == relative && $0.isFileOrLink }) else {
                throw InstallerError("--source \(self.root): has no \(relative) for the handler \(handler.name); add it, or leave the handler out with --handlers. \(expected)")
            }
        }
    }

    static let expectedShape = """
        The source must look like the installed prefix: bin/containerd-shim-kata-v2 (and bin/kata-runtime), \
        share/defaults/kata-containers/configuration-<x>.toml for each handler kata-<x>, \
        share/kata-containers/ with the guest kernel and image the configuration files name
        """

    /// The default source: the directory above the running binary's `bin/`
    /// (`/opt/kata-artifacts` for `/opt/kata-artifacts/bin/kata-runtime`).
    public static func besideRunningBinary() throws(InstallerError) -> String {
        guard let executable = try? readSymbolicLink("/proc/self/exe"), !executable.isEmpty else {
            throw InstallerError("cannot read /proc/self/exe to find the default source; pass --source DIR")
        }
        let components = executable.split(separator: "/")
        guard components.count >= 3, components[components.count - 2] == "bin" else {
            throw InstallerError("\(executable) is not in a bin/ directory, so there is no default source; pass --source DIR (\(expectedShape))")
        }
        return "/" + components.dropLast(2).joined(separator: "/")
    }

    private static func collect(_ root: String, _ relative: String, into entries: inout [Entry]) throws(InstallerError) {
        let path = root + "/" + relative
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }   // an optional part (no guest assets yet)
            throw InstallerError("--source: cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if let reason = InstallManifest.unusablePathReason(relative) {
            throw InstallerError("--source: \(path) \(reason); rename it")
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            entries.append(Entry(relativePath: relative, kind: .directory(mode: info.st_mode & 0o7777)))
            for name in directoryEntries(path).sorted() {
                try collect(root, relative + "/" + name, into: &entries)
            }
        case S_IFREG:
            entries.append(Entry(relativePath: relative, kind: .file(mode: info.st_mode & 0o7777)))
        case S_IFLNK:
            entries.append(Entry(relativePath: relative, kind: .symlink(target: try readSymlink(path))))
        default:
            throw InstallerError("--source: \(path) is neither a directory, a regular file nor a symlink; remove it from the source")
        }
    }
}

extension SourceTree.Entry {
    var isFileOrLink: Bool {
        switch kind {
        case .file, .symlink: true
        case .directory: false
        }
    }
}

/// A symlink's target.
func readSymlink(_ path: String) throws(InstallerError) -> String {
    do { return try readSymbolicLink(path) } catch { throw InstallerError(error.description) }
}
