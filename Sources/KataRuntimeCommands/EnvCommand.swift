import ArgumentParser

/// `kata-runtime env`.
struct EnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "env", abstract: "Not written yet.")

    func run() async throws {
        throw ValidationError("kata-runtime env is not written yet")
    }
}
