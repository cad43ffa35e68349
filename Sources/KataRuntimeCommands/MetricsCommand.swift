import ArgumentParser
import Glibc
import Runtime

/// `kata-runtime metrics`: a sandbox's Prometheus metrics, from its shim.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the Prometheus metrics of a sandbox, as its shim serves them.",
        discussion: """
            Sends GET /metrics to the shim's management socket, /run/vc/sbs/<sandbox-id>/shim-monitor.sock \
            (under --state-root when given), and prints the body. Exits 1 when no shim serves the \
            sandbox or the shim answers with another status than 200.
            """
    )

    @Argument(help: "The sandbox (pod) ID.")
    var sandboxID: String

    @Option(name: .customLong("state-root"), help: ArgumentHelp("A prefix of the shim's state paths (tests).", valueName: "path"))
    var stateRoot: String = ""

    func validate() throws {
        // The ID becomes a path component.
        guard !sandboxID.isEmpty, !sandboxID.contains("/"), sandboxID != ".", sandboxID != ".." else {
            throw ValidationError("invalid sandbox ID \"\(sandboxID)\": a sandbox ID is one path component")
        }
    }

    func run() throws {
        let socket = SandboxPaths(sandboxID: sandboxID, root: stateRoot).monitorSocket
        let response: HTTPResponse
        do {
            response = try ManagementClient(socketPath: socket).get(path: "/metrics")
        } catch .noSocket(let path) {
            StandardError.print("no shim serves sandbox \(sandboxID): \(path) does not exist (is the pod running on this node?)")
            throw ExitCode(1)
        } catch {
            StandardError.print("sandbox \(sandboxID): \(error)")
            throw ExitCode(1)
        }
        guard response.status == 200 else {
            let detail = String(decoding: response.body.prefix(512), as: UTF8.self).trimmed(of: " \t\r\n")
            StandardError.print("sandbox \(sandboxID): GET /metrics on \(socket) answered \(response.statusLine)"
                + (detail.isEmpty ? "" : ": \(detail)"))
            throw ExitCode(1)
        }
        OutputDescriptor.write(response.body, to: 1)
    }
}
