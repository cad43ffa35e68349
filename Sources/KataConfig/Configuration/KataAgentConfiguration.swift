/// `[agent.kata]`: how the shim talks to the kata-agent, and the agent's
/// settings that travel on the kernel command line.
public struct KataAgentConfiguration: Sendable, Equatable {
    /// `dial_timeout` (seconds): the budget for the first connection while
    /// the VM boots. Absent or 0 means 30, as in Kata.
    public var dialTimeoutSeconds: UInt32 = 30
    /// `cdh_api_timeout` (seconds): `agent.cdh_api_timeout=` when above 0.
    public var cdhAPITimeoutSeconds: UInt32 = 0
    /// `launch_process_timeout` (seconds): `agent.launch_process_timeout=`
    /// when above 0 (the agent's own default is 6).
    public var launchProcessTimeoutSeconds: UInt32 = 0
    /// `enable_debug`: `agent.log=debug`.
    public var enableDebug = false
    /// `debug_console_enabled`: `agent.debug_console agent.debug_console_vport=1026`.
    public var debugConsoleEnabled = false
    /// `kernel_modules`: `name [parameters...]` per entry, loaded by the agent.
    public var kernelModules: [String] = []
    /// `enable_tracing`: `agent.trace=true`.
    public var enableTracing = false
    /// Not a TOML key: set by the `container_pipe_size` annotation;
    /// `agent.container_pipe_size=` when above 0.
    public var containerPipeSize: UInt32 = 0

    public init() {}
}
