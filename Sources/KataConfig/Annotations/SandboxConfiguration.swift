/// A configuration with a sandbox's annotations applied, and what the
/// annotations carried for the agent and the TEE.
public struct SandboxConfiguration: Sendable, Equatable {
    /// A copy of the loaded configuration with the overrides applied.
    public var configuration: KataConfiguration
    /// The `kernel_params` annotation's parameters; ``KernelCommandLine``
    /// applies them with Kata's override rule.
    public var annotationKernelParams: [KernelParameter] = []
    /// The Rego text of `io.katacontainers.config.agent.policy`, sent with `SetPolicy`.
    public var agentPolicy: String?
    /// `cc_init_data`, decoded.
    public var initData: InitData?
    /// Annotations with Kata's prefixes that this runtime does not know, ignored as Kata ignores them.
    public var warnings: [String] = []

    public init(configuration: KataConfiguration) {
        self.configuration = configuration
    }
}
