import ArgumentParser

/// `kata-runtime metrics`.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Not written yet.")

    func run() throws {
        throw ValidationError("kata-runtime metrics is not written yet")
    }
}
