import KataConfig

/// The shim's name and version, as `--version` and `-info` report them
/// (the release is `kata-runtime`'s too).
public enum ShimVersion {
    public static let runtimeName = "io.containerd.kata.v2"
    public static let version = RuntimeRelease.version
    public static let revision = RuntimeRelease.revision

    /// Kata's wording, so that tools that parse it keep working.
    public static var versionLine: String {
        "Kata Containers containerd shim (Swift): id: \"\(runtimeName)\", version: \(version), commit: \(revision)"
    }
}
