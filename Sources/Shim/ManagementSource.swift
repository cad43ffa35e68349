/// What the management socket serves: the shim's own figures, the agent's
/// and its address. The shim's is `SandboxManagementSource`; tests use fakes.
public protocol ManagementSource: Sendable {
    /// The host's figures (shim and hypervisor processes).
    func hostMetrics() async -> PrometheusText
    /// The agent's Prometheus text (its GetMetrics answer), served as it is.
    func agentMetrics() async throws -> String
    /// Where the agent is reached, e.g. `vsock://3:1024` or `unix:///run/vc/vm/<sid>/agent.sock`.
    var agentURL: String { get }
}
