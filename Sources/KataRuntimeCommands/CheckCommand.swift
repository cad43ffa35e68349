import ArgumentParser

/// `kata-runtime check`.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Not written yet.")

    func run() async throws {
        throw ValidationError("kata-runtime check is not written yet")
    }
}
