/// Applies a sandbox's OCI annotations to a copy of the configuration, at
/// sandbox creation, with Kata's rules:
///
/// - every `io.katacontainers.config.hypervisor.<name>` must be enabled by
///   one of the regular expressions of `enable_annotations`, else sandbox
///   creation fails;
/// - values are checked (numbers, booleans in Go's spelling, base64, absolute
///   paths within the `valid_*` globs, memory and vCPU limits, known
///   experimental features) and a bad one fails sandbox creation;
/// - `io.katacontainers.config.runtime.*` and `io.katacontainers.config.agent.*`
///   are not subject to `enable_annotations`.
///
/// One difference from Kata: a pattern must match the whole annotation name.
/// Kata uses Go's unanchored `regexp.MatchString`, so its `kernel_params`
/// entry also admits `kernel_params_x` or `xkernel_params`; here it admits
/// `kernel_params` only (write `kernel_params.*` for the looser match).
public struct SandboxAnnotations: Sendable {
    public static let hypervisorPrefix = "io.katacontainers.config.hypervisor."
    public static let runtimePrefix = "io.katacontainers.config.runtime."
    public static let agentPrefix = "io.katacontainers.config.agent."
    /// Kata's vCPU-pinning switch, which has no `config.runtime.` in its name.
    public static let vcpuPinning = "io.katacontainers.enable_vcpus_pinning"

    public var annotations: [String: String]

    public init(_ annotations: [String: String]) {
        self.annotations = annotations
    }

    /// Whether `name` (the part after `io.katacontainers.config.hypervisor.`)
    /// is enabled: some pattern matches the whole name.
    public static func isEnabled(_ name: String, patterns: [String]) -> Bool {
        patterns.contains { pattern in
            guard let regex = try? Regex(pattern) else { return false }
            return (try? regex.wholeMatch(in: name)) != nil
        }
    }

    /// Applies the annotations to a loaded configuration; messages name the
    /// file that set `enable_annotations`.
    public func apply(to loaded: LoadedConfiguration, host: HostFacts) throws(AnnotationError) -> SandboxConfiguration {
        try apply(
            to: loaded.configuration, configurationFile: loaded.origin(of: "hypervisor.qemu.enable_annotations"), host: host)
    }

    /// Applies the annotations to `configuration`; `configurationFile` is how
    /// messages name the file to edit.
    public func apply(to configuration: KataConfiguration, configurationFile: String, host: HostFacts)
        throws(AnnotationError) -> SandboxConfiguration
    {
        let keys = annotations.keys.sorted()
        let patterns = configuration.hypervisor.enableAnnotations
        for key in keys where key.hasPrefix(Self.hypervisorPrefix) {
            let name = String(key.dropFirst(Self.hypervisorPrefix.count))
            guard Self.isEnabled(name, patterns: patterns) else {
                throw AnnotationError(
                    annotation: key,
                    message: "annotation \(key) is not enabled: add \(TOMLNode.quoted(name)) to enable_annotations in [hypervisor.qemu] of \(configurationFile)")
            }
        }

        var sandbox = SandboxConfiguration(configuration: configuration)
        let context = Context(host: host, configurationFile: configurationFile, annotations: annotations)
        for key in keys {
            let value = AnnotationValue(key: key, text: annotations[key]!)
            if key.hasPrefix(Self.hypervisorPrefix) {
                let name = String(key.dropFirst(Self.hypervisorPrefix.count))
                if try !Self.applyHypervisor(name, value, to: &sandbox, context) {
                    sandbox.warnings.append("annotation \(key) is not a hypervisor setting this runtime knows; ignored")
                }
            } else if key.hasPrefix(Self.runtimePrefix) || key == Self.vcpuPinning {
                if try !Self.applyRuntime(key, value, to: &sandbox) {
                    sandbox.warnings.append("annotation \(key) is not a runtime setting this runtime knows; ignored")
                }
            } else if key.hasPrefix(Self.agentPrefix) {
                let name = String(key.dropFirst(Self.agentPrefix.count))
                if try !Self.applyAgent(name, value, to: &sandbox) {
                    sandbox.warnings.append("annotation \(key) is not an agent setting this runtime knows; ignored")
                }
            } else if key == "io.katacontainers.config_path" {
                sandbox.warnings.append(
                    "annotation \(key) is ignored: a pod cannot choose the host's configuration file; set ConfigPath in the runtime handler options")
            }
        }
        try Self.checkCombination(&sandbox, context)
        return sandbox
    }

    /// What the handlers need besides the value.
    struct Context {
        var host: HostFacts
        var configurationFile: String
        var annotations: [String: String]
    }
}
