import ArgumentParser
import Installer

/// `kata-runtime install`: copies Kata's files under the prefix and registers
/// the runtime handlers in containerd's configuration (kata-deploy's job).
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the runtime on this node and register its containerd runtime handlers.",
        discussion: """
            Copies bin/, share/defaults/kata-containers/ and share/kata-containers/ of --source into \
            <host-root><prefix>, appends the handler tables to containerd's config.toml between marker \
            comments (a backup of the original is kept next to it), and records what it wrote in \
            <prefix>/\(KataLayout.manifestName) for `kata-runtime uninstall`. Running it again with the \
            same inputs changes nothing.
            """
    )

    @Option(help: "The tree to install (bin/, share/...). Default: the directory above this binary's bin/ (/opt/kata-artifacts in the installer image).")
    var source: String?

    @OptionGroup var location: InstallLocationOptions

    @Option(help: "containerd's configuration, as the host sees it.")
    var containerdConfig: String = InstallOptions.defaultContainerdConfig

    @Option(help: "Comma-separated runtime handlers to register.")
    var handlers: String = RuntimeHandler.defaults.map(\.name).joined(separator: ",")

    @Option(help: "Where the containerd-shim-<handler>-v2 links go (containerd 1.6 finds shims on its PATH); \"\" for none.")
    var shimLinkDir: String = InstallOptions.defaultShimLinkDirectory

    @OptionGroup var restart: InstallRestartOptions

    @Flag(help: "Print the containerd block and the files that would be installed; write nothing.")
    var dryRun = false

    func run() throws {
        let options = try InstallOptions(
            source: try source ?? SourceTree.besideRunningBinary(),
            hostRoot: try location.resolvedHostRoot(), layout: try location.resolvedLayout(),
            containerdConfig: containerdConfig, handlers: try RuntimeHandler.list(handlers),
            shimLinkDirectory: shimLinkDir.isEmpty ? nil : shimLinkDir)
        let plan = try InstallPlan(options)
        if dryRun {
            print(plan.description)
            return
        }
        let report = try KataInstaller.install(plan)
        print(InstallMessages.installed(report, plan: plan))
        // What containerd reads: its configuration and the shims on its PATH.
        // The DaemonSet installs at every start of its pod; an unchanged node
        // must not have its containerd restarted each time.
        let changed = report.containerdConfigChanged || options.shimLinks.contains { report.written.contains($0.path) }
        guard changed else {
            if restart.restartContainerd {
                print("containerd's configuration and the shim links are unchanged: not restarting containerd.")
            }
            return
        }
        try restart.restartIfAsked(hostRoot: options.hostRoot)
    }
}

/// Where Kata goes: `--host-root` and `--prefix` (install and uninstall).
struct InstallLocationOptions: ParsableArguments {
    @Option(help: "Where the host's / is mounted (/host in the installer pod).")
    var hostRoot: String = "/"

    @Option(help: "Kata's directory as the host sees it; containerd's configuration names paths under it.")
    var prefix: String = KataLayout.defaultPrefix

    func resolvedHostRoot() throws -> HostRoot { try HostRoot(hostRoot) }
    func resolvedLayout() throws -> KataLayout { try KataLayout(prefix: prefix) }
}

/// `--restart-containerd` and `--restart-command` (install and uninstall).
struct InstallRestartOptions: ParsableArguments {
    @Flag(help: "Restart containerd afterwards (systemctl restart containerd; through nsenter into PID 1's namespaces when --host-root is not /).")
    var restartContainerd = false

    @Option(help: "The restart command to run instead, through /bin/sh -c (with --restart-containerd).")
    var restartCommand: String?

    func validate() throws {
        if restartCommand != nil && !restartContainerd {
            throw ValidationError("--restart-command is used only with --restart-containerd; add --restart-containerd")
        }
    }

    func restartIfAsked(hostRoot: HostRoot) throws {
        let restart = ContainerdRestart(hostRoot: hostRoot, command: restartCommand)
        if restartContainerd {
            try InstallRestart.run(restart)
        } else {
            print("Next: restart containerd so that it reads the change (\(ContainerdRestart(hostRoot: .slash).description) on the node), or run again with --restart-containerd.")
        }
    }
}
