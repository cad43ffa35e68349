import ArgumentParser

/// `kata-runtime install`.
struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Not written yet.")

    func run() async throws {
        throw ValidationError("kata-runtime install is not written yet")
    }
}
