import ArgumentParser

/// `kata-runtime`: what an operator asks of a node (Kata's command of the same name).
public struct KataRuntimeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kata-runtime",
        abstract: "Check, inspect and install the Kata Containers runtime on this node.",
        subcommands: [CheckCommand.self, EnvCommand.self, MetricsCommand.self, InstallCommand.self, UninstallCommand.self]
    )

    public init() {}
}
