import ArgumentParser

/// `kata-runtime uninstall`.
struct UninstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Not written yet.")

    func run() async throws {
        throw ValidationError("kata-runtime uninstall is not written yet")
    }
}
