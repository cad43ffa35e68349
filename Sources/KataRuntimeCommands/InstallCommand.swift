import ArgumentParser

/// `kata-runtime install`.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Not written yet.")

    func run() throws {
        throw ValidationError("kata-runtime install is not written yet")
    }
}
