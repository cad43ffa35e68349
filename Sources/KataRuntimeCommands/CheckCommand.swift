import ArgumentParser

/// `kata-runtime check`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Not written yet.")

    func run() throws {
        throw ValidationError("kata-runtime check is not written yet")
    }
}
