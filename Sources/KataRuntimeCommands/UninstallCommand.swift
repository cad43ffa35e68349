import ArgumentParser

/// `kata-runtime uninstall`.
struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Not written yet.")

    func run() throws {
        throw ValidationError("kata-runtime uninstall is not written yet")
    }
}
