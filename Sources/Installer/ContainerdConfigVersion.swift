/// The schema of containerd's config.toml, from its top-level `version` key:
/// where CRI's runtime handlers live.
public enum ContainerdConfigVersion: Int, Sendable, CaseIterable {
    /// containerd 1.6 / 1.7 (2.x still reads it).
    case v2 = 2
    /// containerd 2.x: the split CRI runtime plugin.
    case v3 = 3

    /// The table holding the handlers, as a TOML header prefix.
    public var runtimesTable: String {
        switch self {
        case .v2: #"plugins."io.containerd.grpc.v1.cri".containerd.runtimes"#
        case .v3: "plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes"
        }
    }

    /// The same path as keys, for looking a handler up in a parsed file.
    var runtimesKeyPath: [String] {
        switch self {
        case .v2: ["plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes"]
        case .v3: ["plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes"]
        }
    }

    /// Which containerd releases read this schema, for messages.
    public var containerdReleases: String {
        switch self {
        case .v2: "containerd 1.6/1.7"
        case .v3: "containerd 2.x"
        }
    }
}
