/// The shim's name and version, as `--version` and `-info` report them.
public enum ShimVersion {
    public static let runtimeName = "io.containerd.kata.v2"
    public static let version = "0.5.0"
    public static let revision = "swift"

    /// Kata's wording, so that tools that parse it keep working.
    public static var versionLine: String {
        "Kata Containers containerd shim (Swift): id: \"\(runtimeName)\", version: \(version), commit: \(revision)"
    }
}
