import ArgumentParser

/// `kata-runtime env`.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "env", abstract: "Not written yet.")

    func run() throws {
        throw ValidationError("kata-runtime env is not written yet")
    }
}
