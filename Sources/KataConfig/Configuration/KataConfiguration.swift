/// A Kata Containers configuration (`configuration-qemu*.toml` plus its
/// `config.d/` drop-ins): the `[hypervisor.qemu]`, `[agent.kata]`,
/// `[runtime]` and `[factory]` sections with Kata's key names and defaults.
///
/// Values are what the files say after Kata's load-time rules (for example a
/// `default_memory` below 256 MiB falls back to 2048). What depends on the
/// host (`default_maxvcpus = 0` meaning "all host CPUs") is resolved later,
/// by ``SandboxSizing``, so that a configuration is a pure value.
public struct KataConfiguration: Sendable, Equatable {
    /// `[hypervisor.qemu]`
    public var hypervisor: HypervisorConfiguration
    /// `[agent.kata]`
    public var agent: KataAgentConfiguration
    /// `[runtime]`
    public var runtime: RuntimeConfiguration
    /// `[factory]` (VM templating; read and checked, not implemented by this runtime).
    public var factory: FactoryConfiguration

    /// Kata's defaults for every key, as if every key were absent.
    public init(
        hypervisor: HypervisorConfiguration = HypervisorConfiguration(),
        agent: KataAgentConfiguration = KataAgentConfiguration(),
        runtime: RuntimeConfiguration = RuntimeConfiguration(),
        factory: FactoryConfiguration = FactoryConfiguration()
    ) {
        self.hypervisor = hypervisor
        self.agent = agent
        self.runtime = runtime
        self.factory = factory
    }
}
