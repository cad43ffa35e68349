/// Kata's directory layout under a prefix (kata-deploy's `/opt/kata`), as the
/// host sees it:
///
///     <prefix>/bin/containerd-shim-kata-v2
///     <prefix>/bin/kata-runtime
///     <prefix>/share/defaults/kata-containers/configuration-<x>.toml
///     <prefix>/share/kata-containers/            guest kernel and image
public struct KataLayout: Sendable, Equatable {
    /// kata-deploy's prefix, which the shipped configuration files name.
    public static let defaultPrefix = "/opt/kata"

    /// The sub-directories an installation copies, relative to the prefix (and to a source tree).
    public static let installedDirectories = ["bin", "share/defaults/kata-containers", "share/kata-containers"]

    public static let shimRelativePath = "bin/containerd-shim-kata-v2"
    public static let configurationDirectory = "share/defaults/kata-containers"
    public static let manifestName = "kata-runtime-install.manifest"

    /// Absolute, normalized, as the host sees it.
    public let prefix: String

    public init(prefix: String = KataLayout.defaultPrefix) throws(InstallerError) {
        guard prefix.hasPrefix("/") else {
            throw InstallerError("--prefix \(prefix): must be an absolute path as the host sees it (default \(KataLayout.defaultPrefix))")
        }
        let normalized = HostRoot.normalized(prefix)
        guard normalized != "/" else {
            throw InstallerError("--prefix /: Kata's files need a directory of their own (default \(KataLayout.defaultPrefix))")
        }
        if let bad = InstallManifest.unusablePathReason(normalized) {
            throw InstallerError("--prefix \(prefix): \(bad)")
        }
        self.prefix = normalized
    }

    /// `<prefix>/<relative>`.
    public func path(_ relative: String) -> String { prefix + "/" + relative }

    public var shimPath: String { path(Self.shimRelativePath) }

    public func configurationPath(for handler: RuntimeHandler) -> String {
        path(Self.configurationDirectory + "/" + handler.configurationFileName)
    }

    /// The record of what an installation wrote (read by uninstall).
    public var manifestPath: String { path(Self.manifestName) }
}
