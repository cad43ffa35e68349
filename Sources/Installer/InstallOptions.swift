/// What `kata-runtime install` was asked to do.
public struct InstallOptions: Sendable {
    /// The tree to copy, as this process sees it.
    public var source: String
    public var hostRoot: HostRoot
    public var layout: KataLayout
    /// containerd's config.toml as the host sees it.
    public var containerdConfig: String
    public var handlers: [RuntimeHandler]

    public static let defaultContainerdConfig = "/etc/containerd/config.toml"

    public init(source: String, hostRoot: HostRoot = .slash, layout: KataLayout, containerdConfig: String = defaultContainerdConfig,
                handlers: [RuntimeHandler] = RuntimeHandler.defaults) throws(InstallerError) {
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
    }
}
