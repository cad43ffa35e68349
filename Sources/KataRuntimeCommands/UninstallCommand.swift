import ArgumentParser
import Installer

/// `kata-runtime uninstall`: undoes `kata-runtime install` from its manifest.
struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove what kata-runtime install put on this node and restore containerd's configuration.",
        discussion: """
            Reads <prefix>/\(KataLayout.manifestName), puts containerd's configuration back byte for byte \
            from its backup (or deletes it when the installation created it), removes the recorded files \
            and then the directories the installation created, when empty.
            """
    )

    @OptionGroup var location: InstallLocationOptions
    @OptionGroup var restart: InstallRestartOptions

    func run() throws {
        let hostRoot = try location.resolvedHostRoot()
        let layout = try location.resolvedLayout()
        let report = try KataInstaller.uninstall(hostRoot: hostRoot, layout: layout)
        print(InstallMessages.uninstalled(report, layout: layout, hostRoot: hostRoot))
        guard report.wasInstalled else { return }
        try restart.restartIfAsked(hostRoot: hostRoot)
    }
}
