/// This runtime's release, one value for every binary that reports it
/// (`kata-runtime env`, and the shim's `--version`).
public enum RuntimeRelease {
    public static let version = "0.5.0"
    /// What Kata reports as the commit.
    public static let revision = "swift"
}
