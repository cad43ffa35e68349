/// Where the original containerd configuration is kept while Kata is installed.
public enum ContainerdBackup {
    public static let suffix = ".kata-shim.bak"

    /// `<config>.kata-shim.bak`, next to the file.
    public static func path(for configPath: String) -> String { configPath + suffix }
}
