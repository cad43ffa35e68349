/// What an installation did, for the operator.
public struct InstallReport: Sendable {
    public var prefixOnHost: String
    /// Files and symlinks written (new or changed), as the host sees them.
    public var written: [String] = []
    /// Files and symlinks already as wanted.
    public var unchanged: [String] = []
    /// Entries of a previous installation that this one no longer has, removed.
    public var removedStale: [String] = []
    public var containerdConfig: String
    public var containerdConfigChanged = false
    public var containerdConfigCreated = false
    /// The original's copy (when the file existed before the first installation).
    public var containerdBackup: String?
    public var containerdVersion: ContainerdConfigVersion
    public var handlers: [RuntimeHandler]
    public var manifest: String
}

/// What an uninstallation did, for the operator.
public struct UninstallReport: Sendable {
    public enum ContainerdOutcome: Sendable, Equatable {
        /// The original was put back byte for byte and its backup removed.
        case restored(backup: String)
        /// The installation had created the file; it is gone again.
        case deleted
        /// The file changed after installation: only our block was taken
        /// out, the rest kept (and the backup, when there is one, left in place).
        case blockRemoved(keptBackup: String?)
        /// Nothing of ours was in it (or it is gone).
        case untouched
    }

    /// False when there was no installation under the prefix: nothing was done.
    public var wasInstalled = true
    public var removed: [String] = []
    /// Links of ours that point elsewhere now (replaced since), left alone.
    public var keptReplaced: [String] = []
    public var removedDirectories: [String] = []
    /// Directories the installation created that still hold files of someone else.
    public var keptDirectories: [String] = []
    public var containerdConfig: String?
    public var containerd: ContainerdOutcome = .untouched
}
