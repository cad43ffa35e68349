/// The sections and keys of a Kata QEMU configuration file: every key that
/// Kata's shipped `configuration-qemu*.toml` files contain (so they load
/// without a warning), with its type, plus this runtime's own additions
/// (`accelerator`, `agent_channel`). A key outside this table is reported as
/// a warning and ignored.
public enum ConfigurationSchema {
    /// Section names as in the file: `hypervisor.qemu`, `agent.kata`, `runtime`, `factory`, `image`.
    public static let sectionNames = ["hypervisor.qemu", "agent.kata", "runtime", "factory", "image"]

    /// The known keys of each section, in the order of the table.
    public static let knownKeys: [String: [ConfigurationKey]] = [
        "hypervisor.qemu": hypervisorFields.map(\.key),
        "agent.kata": agentFields.map(\.key),
        "runtime": runtimeFields.map(\.key),
        "factory": factoryFields.map(\.key),
        "image": imageFields.map(\.key),
    ]

    /// `section` → key name → key, for lookups while loading.
    private static let index: [String: [String: ConfigurationKey]] = knownKeys.mapValues { keys in
        Dictionary(keys.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The known key `name` of `section`, if any.
    public static func key(_ name: String, in section: String) -> ConfigurationKey? {
        index[section]?[name]
    }

    /// `[image]`: a placeholder section of older Kata files, never implemented by Kata either.
    static var imageFields: [ConfigurationField<Void>] {
        [.ignored("service_offload", .boolean), .ignored("provision", .string)]
    }

    static var factoryFields: [ConfigurationField<FactoryConfiguration>] {
        [
            .bool("enable_template", \.enableTemplate),
            .string("template_path", \.templatePath, emptyMeansDefault: true),
            .uint32("vm_cache_number", \.vmCacheNumber),
            .string("vm_cache_endpoint", \.vmCacheEndpoint, emptyMeansDefault: true),
        ]
    }

    static var agentFields: [ConfigurationField<KataAgentConfiguration>] {
        [
            .uint32("dial_timeout", \.dialTimeoutSeconds, unit: "seconds") { $0 == 0 ? (30, nil) : ($0, nil) },
            .uint32("cdh_api_timeout", \.cdhAPITimeoutSeconds, unit: "seconds"),
            .uint32("launch_process_timeout", \.launchProcessTimeoutSeconds, unit: "seconds"),
            .bool("enable_debug", \.enableDebug),
            .bool("debug_console_enabled", \.debugConsoleEnabled),
            .strings("kernel_modules", \.kernelModules),
            .bool("enable_tracing", \.enableTracing),
        ]
    }

    static var runtimeFields: [ConfigurationField<RuntimeConfiguration>] {
        [
            .bool("enable_debug", \.enableDebug),
            .choice("internetworking_model", \.internetworkingModel, RuntimeConfiguration.internetworkingModels),
            .bool("disable_guest_seccomp", \.disableGuestSeccomp),
            .bool("sandbox_cgroup_only", \.sandboxCgroupOnly),
            .bool("static_sandbox_resource_mgmt", \.staticSandboxResourceMgmt),
            .bool("disable_guest_empty_dir", \.disableGuestEmptyDir),
            .choice("emptydir_mode", \.emptydirMode, RuntimeConfiguration.emptydirModes),
            .uint64("create_container_timeout", \.createContainerTimeoutSeconds, unit: "seconds") {
                $0 == 0 ? (60, "0 seconds would fail every container creation; using 60 seconds") : ($0, nil)
            },
            .bool("experimental_force_guest_pull", \.experimentalForceGuestPull),
            .choice("vfio_mode", \.vfioMode, RuntimeConfiguration.vfioModes),
            .bool("disable_new_netns", \.disableNewNetns),
            experimentalField,
            .string("dan_conf", \.danConf, emptyMeansDefault: true),
            .string("kubelet_root_dir", \.kubeletRootDir, emptyMeansDefault: true),
            .bool("enable_pprof", \.enablePprof),
            .string("guest_selinux_label", \.guestSELinuxLabel),
            .bool("enable_vcpus_pinning", \.enableVCPUsPinning),
            .strings("sandbox_bind_mounts", \.sandboxBindMounts),
            .ignored("enable_tracing", .boolean),
            .ignored("jaeger_endpoint", .string),
            .ignored("jaeger_user", .string),
            .ignored("jaeger_password", .string),
            .ignored("pod_resource_api_sock", .string),
        ]
    }

    /// `experimental`: only features this runtime knows, as Kata refuses unknown ones.
    static var experimentalField: ConfigurationField<RuntimeConfiguration> {
        let key = ConfigurationKey(name: "experimental", type: .stringArray)
        return ConfigurationField(key: key) { (node, root) throws(ValueMismatch) in
            let features = try node.strings(key)
            for feature in features where !RuntimeConfiguration.experimentalFeatures.contains(feature) {
                throw ValueMismatch(
                    expected: "known experimental features ("
                        + RuntimeConfiguration.experimentalFeatures.map { TOMLNode.quoted($0) }.joined(separator: ", ") + ")",
                    found: "unknown feature \(TOMLNode.quoted(feature))")
            }
            root.experimental = features
            return nil
        }
    }
}
