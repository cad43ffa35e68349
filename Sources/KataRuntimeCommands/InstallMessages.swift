import Installer

/// What install and uninstall tell the operator.
enum InstallMessages {
    static func installed(_ report: InstallReport, plan: InstallPlan) -> String {
        var lines: [String] = []
        let total = report.written.count + report.unchanged.count
        let whereTo = plan.options.hostRoot.isHostItself ? report.prefixOnHost : "\(report.prefixOnHost) (at \(plan.options.hostRoot.resolve(report.prefixOnHost)))"
        lines.append("Installed Kata into \(whereTo) from \(plan.source.root): \(total) files, \(report.written.count) written, \(report.unchanged.count) already up to date.")
        for path in report.written { lines.append("  \(path)") }
        if !report.removedStale.isEmpty {
            lines.append("Removed \(report.removedStale.count) files of the previous installation that this one does not have:")
            for path in report.removedStale { lines.append("  \(path)") }
        }
        let handlers = report.handlers.map(\.name).joined(separator: ", ")
        let version = "config version \(report.containerdVersion.rawValue), \(report.containerdVersion.containerdReleases)"
        if !report.containerdConfigChanged {
            lines.append("containerd: \(report.containerdConfig) already registers \(handlers): unchanged.")
        } else if report.containerdConfigCreated {
            lines.append("containerd: created \(report.containerdConfig) with version = 2 and the runtime handlers \(handlers) (kata-runtime uninstall deletes it again).")
        } else {
            lines.append("containerd: registered the runtime handlers \(handlers) in \(report.containerdConfig) (\(version)), in the block between the kata-runtime install markers at its end.")
        }
        if let backup = report.containerdBackup {
            lines.append("The original configuration is kept in \(backup); kata-runtime uninstall puts it back.")
        }
        lines.append("Record of this installation: \(report.manifest) (kata-runtime uninstall removes exactly what it lists).")
        return lines.joined(separator: "\n")
    }

    static func uninstalled(_ report: UninstallReport, layout: KataLayout, hostRoot: HostRoot) -> String {
        guard report.wasInstalled else {
            return "Nothing to uninstall: there is no \(hostRoot.resolve(layout.manifestPath)), so kata-runtime install did not install into \(layout.prefix) (or it was uninstalled already). Pass --prefix if it installed elsewhere."
        }
        var lines = ["Removed \(report.removed.count) files of the Kata installation in \(layout.prefix)."]
        if !report.keptReplaced.isEmpty {
            lines.append("Left alone, since they point elsewhere now (replaced by another installation): \(report.keptReplaced.joined(separator: ", ")).")
        }
        if !report.removedDirectories.isEmpty {
            lines.append("Removed the directories it had created: \(report.removedDirectories.joined(separator: ", ")).")
        }
        if !report.keptDirectories.isEmpty {
            lines.append("Kept directories it had created that now hold other files: \(report.keptDirectories.joined(separator: ", ")).")
        }
        let config = report.containerdConfig ?? "containerd's configuration"
        switch report.containerd {
        case .restored(let backup):
            lines.append("containerd: restored \(config) byte for byte from \(backup) and removed the backup.")
        case .deleted:
            lines.append("containerd: deleted \(config), which kata-runtime install had created.")
        case .blockRemoved(let kept):
            lines.append("containerd: \(config) changed after installation, so only the Kata runtime handler block was removed and the other changes kept\(kept.map { "; the original from before installation is still in \($0): compare and delete it" } ?? ".")")
        case .untouched:
            lines.append("containerd: \(config) has no Kata runtime handler block: left as it is.")
        }
        return lines.joined(separator: "\n")
    }
}
