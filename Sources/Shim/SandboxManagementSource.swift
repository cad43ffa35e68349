import Agent

/// The figures of a running sandbox: the shim (`/proc/self`), QEMU
/// (`/proc/<vm pid>`) and the guest agent (GetMetrics).
struct SandboxManagementSource: ManagementSource {
    let agent: AgentClient
    /// QEMU's pid; 0 when there is none (its families are left out then).
    let vmPID: Int32
    /// Where `/proc` is (tests may point elsewhere).
    var procRoot = "/proc"

    var agentURL: String { agent.endpoint.description }

    func hostMetrics() async -> PrometheusText {
        var text = PrometheusText()
        if let shim = try? ProcessFigures(procDirectory: procRoot + "/self") {
            shim.append(to: &text, prefix: "kata_shim", subject: "Kata containerd shim v2")
        }
        // QEMU gone (or not ours to read): the shim's figures still answer.
        if vmPID > 0, let vm = try? ProcessFigures(procDirectory: procRoot + "/\(vmPID)") {
            vm.append(to: &text, prefix: "kata_hypervisor", subject: "Hypervisor")
        }
        return text
    }

    func agentMetrics() async throws -> String {
        try await agent.metrics()
    }
}
