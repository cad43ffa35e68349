/// What `kata-runtime install` was asked to do.
public struct InstallOptions: Sendable {
    /// The tree to copy, as this process sees it.
    public var source: String
    public var hostRoot: HostRoot
    public var layout: KataLayout
    /// containerd's config.toml as the host sees it.
    public var containerdConfig: String
    public var handlers: [RuntimeHandler]
    /// Where `containerd-shim-<handler>-v2` links to the shim go, as the host
    /// sees it (a directory on containerd's PATH); nil for none.
    public var shimLinkDirectory: String?

    public static let defaultContainerdConfig = "/etc/containerd/config.toml"
    /// kata-deploy's choice: on the PATH of a systemd-started containerd.
    public static let defaultShimLinkDirectory = "/usr/local/bin"

    public init(source: String, hostRoot: HostRoot = .slash, layout: KataLayout, containerdConfig: String = defaultContainerdConfig,
                handlers: [RuntimeHandler] = RuntimeHandler.defaults,
                shimLinkDirectory: String? = defaultShimLinkDirectory) throws(InstallerError) {
        if let shimLinkDirectory {
            guard shimLinkDirectory.hasPrefix("/"), InstallManifest.unusablePathReason(shimLinkDirectory) == nil else {
                throw InstallerError("--shim-link-dir \(shimLinkDirectory): must be an absolute path as the host sees it, without `..` (default \(Self.defaultShimLinkDirectory); \"\" for no links)")
            }
        }
        guard containerdConfig.hasPrefix("/") else {
            throw InstallerError("--containerd-config \(containerdConfig): must be an absolute path as the host sees it (default \(Self.defaultContainerdConfig))")
        }
        if let reason = InstallManifest.unusablePathReason(containerdConfig) {
            throw InstallerError("--containerd-config \(containerdConfig): \(reason)")
        }
        guard !handlers.isEmpty else {
            throw InstallerError("--handlers: name at least one handler (default: \(RuntimeHandler.defaults.map(\.name).joined(separator: ",")))")
        }
        self.source = source
        self.hostRoot = hostRoot
        self.layout = layout
        self.containerdConfig = HostRoot.normalized(containerdConfig)
        self.handlers = handlers
        self.shimLinkDirectory = shimLinkDirectory.map(HostRoot.normalized)
    }

    /// Each handler's link (as the host sees it) and what it points at.
    /// containerd 1.6 ignores `runtime_path` and runs the binary named after
    /// `runtime_type` (`io.containerd.kata-qemu.v2` → `containerd-shim-kata-qemu-v2`)
    /// from its PATH, so these links are what makes a handler work there.
    public var shimLinks: [(path: String, target: String)] {
        guard let shimLinkDirectory else { return [] }
        return handlers.map { (shimLinkDirectory + "/" + $0.shimBinaryName, layout.shimPath) }
    }
}
