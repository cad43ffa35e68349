import ArgumentParser

/// `kata-runtime metrics`.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Not written yet.")

    func run() async throws {
        throw ValidationError("kata-runtime metrics is not written yet")
    }
}
