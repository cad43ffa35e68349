/// Installs Kata's files under a prefix and registers the runtime handlers
/// with containerd; uninstalls exactly what an installation recorded.
public enum KataInstaller {
    /// Carries out `plan`: copies the source tree (mode-preserving, each file
    /// atomically, unchanged files left alone), removes files a previous
    /// installation had that this one does not, writes the manifest, keeps a
    /// backup of containerd's configuration (once) and writes the new one
    /// when it differs.
    public static func install(_ plan: InstallPlan) throws(InstallerError) -> InstallReport {
        let options = plan.options
        let layout = options.layout
        let hostRoot = options.hostRoot
        let destination = hostRoot.resolve(layout.prefix)
        var manifest = InstallManifest(prefix: layout.prefix)
        manifest.createdDirectories = plan.previous?.createdDirectories ?? []
        func noteCreated(_ paths: [String]) {
            for path in paths.map({ hostPath($0, hostRoot) }) where !manifest.createdDirectories.contains(path) {
                manifest.createdDirectories.append(path)
            }
        }
        noteCreated(try HostFiles.makeDirectories(destination, mode: 0o755))
        // Recorded before the first file is written, so that an installation
        // cut short (a full disk) can still be uninstalled; rewritten at the end.
        try HostFiles.put(hostRoot.resolve(layout.manifestPath),
                          Array(pendingManifest(plan, createdSoFar: manifest.createdDirectories).text.utf8), mode: 0o644)

        var report = InstallReport(
            prefixOnHost: layout.prefix, containerdConfig: options.containerdConfig,
            containerdVersion: plan.containerdEdit.block.version, handlers: options.handlers, manifest: layout.manifestPath)
        let installedRelative = Set(plan.source.entries.filter(\.isFileOrLink).map(\.relativePath))
        let rewriter = ConfigurationPathRewriter(layout: layout, installed: installedRelative)
        for entry in plan.source.entries {
            let target = destination + "/" + entry.relativePath
            let onHost = layout.path(entry.relativePath)
            let changed: Bool
            switch entry.kind {
            case .directory(let mode):
                noteCreated(try HostFiles.makeDirectories(target, mode: mode))
                continue
            case .file(let mode):
                var contents = try HostFiles.read(plan.source.root + "/" + entry.relativePath)
                if ConfigurationPathRewriter.applies(to: entry.relativePath) && !rewriter.isIdentity {
                    contents = Array(rewriter.rewrite(String(decoding: contents, as: UTF8.self)).utf8)
                }
                changed = try HostFiles.put(target, contents, mode: mode)
                manifest.entries.append(InstalledEntry(kind: .file, path: onHost))
            case .symlink(let link):
                changed = try HostFiles.putSymlink(target, target: link)
                manifest.entries.append(InstalledEntry(kind: .symlink, path: onHost))
            }
            if changed { report.written.append(onHost) } else { report.unchanged.append(onHost) }
        }
        for link in options.shimLinks {
            let path = hostRoot.resolve(link.path)
            noteCreated(try HostFiles.makeDirectories(parentDirectory(path), mode: 0o755))
            let changed = try HostFiles.putSymlink(path, target: link.target)
            manifest.entries.append(InstalledEntry(kind: .symlink, path: link.path))
            if changed { report.written.append(link.path) } else { report.unchanged.append(link.path) }
        }
        let current = Set(manifest.entries.map(\.path))
        for old in plan.previous?.entries ?? [] where !current.contains(old.path) {
            let path = hostRoot.resolve(old.path)
            guard [.file, .symlink].contains(HostFiles.node(path)) else { continue }
            try HostFiles.remove(path)
            report.removedStale.append(old.path)
        }

        // containerd: the backup first, then the record of it, then the edit.
        let edit = plan.containerdEdit
        let configPath = hostRoot.resolve(options.containerdConfig)
        manifest.containerdConfig = options.containerdConfig
        if let previous = plan.previous, previous.containerdConfig == options.containerdConfig {
            manifest.containerdBackup = previous.containerdBackup
            manifest.containerdConfigCreated = previous.containerdConfigCreated
        } else if let original = edit.original {
            let backup = ContainerdBackup.path(for: configPath)
            if HostFiles.node(backup) == .missing {
                // The original without a block of ours (a manifest lost, a pasted block).
                let base = ContainerdRuntimeBlock.removed(from: original) ?? original
                try HostFiles.put(backup, Array(base.utf8), mode: HostFiles.mode(configPath) ?? 0o644)
            }
            manifest.containerdBackup = ContainerdBackup.path(for: options.containerdConfig)
        } else {
            manifest.containerdConfigCreated = true
        }
        if edit.original == nil {
            noteCreated(try HostFiles.makeDirectories(parentDirectory(configPath), mode: 0o755))
        }
        try HostFiles.put(hostRoot.resolve(layout.manifestPath), Array(manifest.text.utf8), mode: 0o644)
        if edit.changesFile {
            try HostFiles.put(configPath, Array(edit.result.utf8), mode: HostFiles.mode(configPath) ?? 0o644)
        }
        report.containerdConfigChanged = edit.changesFile
        report.containerdConfigCreated = manifest.containerdConfigCreated
        report.containerdBackup = manifest.containerdBackup
        return report
    }

    /// What an installation may leave if it stops half-way: the previous
    /// installation's entries and everything planned, with the directories
    /// that do not exist yet and would be created on the way.
    static func pendingManifest(_ plan: InstallPlan, createdSoFar: [String]) -> InstallManifest {
        let options = plan.options
        var pending = plan.previous ?? InstallManifest(prefix: options.layout.prefix)
        var entries = pending.entries
        let planned = plan.source.entries.compactMap { entry -> InstalledEntry? in
            switch entry.kind {
            case .directory: return nil
            case .file: return InstalledEntry(kind: .file, path: options.layout.path(entry.relativePath))
            case .symlink: return InstalledEntry(kind: .symlink, path: options.layout.path(entry.relativePath))
            }
        } + options.shimLinks.map { InstalledEntry(kind: .symlink, path: $0.path) }
        for entry in planned where !entries.contains(entry) { entries.append(entry) }
        pending.entries = entries
        var directories = pending.createdDirectories
        for directory in createdSoFar where !directories.contains(directory) { directories.append(directory) }
        let parents = planned.map { "/" + $0.path.split(separator: "/").dropLast().joined(separator: "/") }
        for parent in parents {
            var current = ""
            for component in parent.split(separator: "/") {
                current += "/" + component
                if HostFiles.node(options.hostRoot.resolve(current)) == .missing && !directories.contains(current) {
                    directories.append(current)
                }
            }
        }
        pending.createdDirectories = directories
        return pending
    }

    /// Undoes the installation recorded under `layout`'s prefix: containerd's
    /// configuration back to the original (byte for byte from the backup, or
    /// deleted when the installation created it), the recorded files removed,
    /// then the directories the installation created, when empty.
    public static func uninstall(hostRoot: HostRoot = .slash, layout: KataLayout) throws(InstallerError) -> UninstallReport {
        var report = UninstallReport()
        guard let manifest = try readManifest(hostRoot: hostRoot, layout: layout) else {
            report.wasInstalled = false
            return report
        }
        if let config = manifest.containerdConfig {
            report.containerdConfig = config
            report.containerd = try restoreContainerdConfig(manifest, config: config, hostRoot: hostRoot)
        }
        for entry in manifest.entries {
            let path = hostRoot.resolve(entry.path)
            let node = HostFiles.node(path)
            guard node == .file || node == .symlink else { continue }
            // A shim link outside the prefix that now points elsewhere was
            // replaced by someone else (another installer): theirs now.
            if node == .symlink, !entry.path.hasPrefix(layout.prefix + "/"), (try? readSymlink(path)) != layout.shimPath {
                report.keptReplaced.append(entry.path)
                continue
            }
            try HostFiles.remove(path)
            report.removed.append(entry.path)
        }
        try HostFiles.remove(hostRoot.resolve(layout.manifestPath))
        for directory in manifest.createdDirectories.sorted(by: { $0.count > $1.count }) {
            let path = hostRoot.resolve(directory)
            guard HostFiles.node(path) == .directory else { continue }
            if HostFiles.removeEmptyDirectory(path) {
                report.removedDirectories.append(directory)
            } else {
                report.keptDirectories.append(directory)
            }
        }
        return report
    }

    private static func restoreContainerdConfig(
        _ manifest: InstallManifest, config: String, hostRoot: HostRoot
    ) throws(InstallerError) -> UninstallReport.ContainerdOutcome {
        let path = hostRoot.resolve(config)
        guard let current = try HostFiles.readConfigIfPresent(path) else { return .untouched }
        let withoutBlock = ContainerdRuntimeBlock.removed(from: current)
        let base = withoutBlock ?? current
        let mode = HostFiles.mode(path) ?? 0o644
        if let backup = manifest.containerdBackup {
            let backupPath = hostRoot.resolve(backup)
            if HostFiles.node(backupPath) == .file {
                let original = try HostFiles.read(backupPath)
                if Array(base.utf8) == original {
                    try HostFiles.put(path, original, mode: mode)
                    try HostFiles.remove(backupPath)
                    return .restored(backup: backup)
                }
                guard withoutBlock != nil else { return .untouched }
                try HostFiles.put(path, Array(base.utf8), mode: mode)
                return .blockRemoved(keptBackup: backup)
            }
        }
        if manifest.containerdConfigCreated && base.isEmpty {
            try HostFiles.remove(path)
            return .deleted
        }
        guard withoutBlock != nil else { return .untouched }
        try HostFiles.put(path, Array(base.utf8), mode: mode)
        return .blockRemoved(keptBackup: nil)
    }

    /// The manifest under `layout`'s prefix, or nil when nothing is installed there.
    static func readManifest(hostRoot: HostRoot, layout: KataLayout) throws(InstallerError) -> InstallManifest? {
        let path = hostRoot.resolve(layout.manifestPath)
        guard let text = try HostFiles.readIfPresent(path) else { return nil }
        let manifest = try InstallManifest(parsing: text, path: path)
        guard manifest.prefix == layout.prefix else {
            throw InstallerError("\(path): records prefix \(manifest.prefix), not \(layout.prefix); pass --prefix \(manifest.prefix)")
        }
        return manifest
    }

    /// A path this process sees as the host sees it.
    private static func hostPath(_ path: String, _ hostRoot: HostRoot) -> String {
        hostRoot.isHostItself ? path : String(path.dropFirst(hostRoot.path.count))
    }

    private static func parentDirectory(_ path: String) -> String {
        "/" + path.split(separator: "/").dropLast().joined(separator: "/")
    }
}
