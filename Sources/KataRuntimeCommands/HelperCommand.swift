import ChildProcesses
import NIOConcurrencyHelpers

/// Runs a short helper program (QEMU's `-version`) from a synchronous
/// command and returns its exit status and output (stdout and stderr together).
enum HelperCommand {
    struct Output: Sendable {
        var status: ExitStatus
        var text: String
    }

    static func run(_ arguments: [String]) throws -> Output {
        let result = NIOLockedValueBox<Output?>(nil)
        try BlockingMain.run {
            let finished = try await CommandRunner().run(arguments)
            result.withLockedValue { $0 = Output(status: finished.status, text: finished.output) }
        }
        // BlockingMain returns only after the body ended, with its error or a value.
        return result.withLockedValue { $0 }!
    }
}
