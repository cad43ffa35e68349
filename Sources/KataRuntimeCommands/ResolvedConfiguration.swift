import KataConfig

/// Every key of a loaded configuration with the value the runtime uses
/// (after drop-ins, defaults and Kata's replacement rules) and the file that
/// set it: what `kata-runtime env` prints.
///
/// The schema decodes keys into ``KataConfiguration`` but cannot read them
/// back, so this table names each key once more; a test checks it against
/// ``ConfigurationSchema/knownKeys`` so that a new key cannot be forgotten.
public struct ResolvedConfiguration: Sendable {
    /// One key: `section` as in the file (`hypervisor.qemu`), its name, value and origin.
    public struct Entry: Sendable, Equatable {
        public var section: String
        public var key: String
        public var value: JSONValue
        /// The file that set it, or `default` when no file did.
        public var origin: String

        public var keyPath: String { section + "." + key }
    }

    public var entries: [Entry]

    public init(_ loaded: LoadedConfiguration) {
        self.init(loaded.configuration, origins: loaded.origins)
    }

    /// `origins` maps key paths to files as ``LoadedConfiguration/origins`` does.
    public init(_ configuration: KataConfiguration, origins: [String: String] = [:]) {
        var entries: [Entry] = []
        for (section, values) in Self.values(of: configuration) {
            for (key, value) in values {
                let keyPath = section + "." + key
                entries.append(Entry(section: section, key: key, value: value, origin: origins[keyPath] ?? "default"))
            }
        }
        self.entries = entries
    }

    /// The sections in file order.
    public var sections: [String] {
        var seen: [String] = []
        for entry in entries where !seen.contains(entry.section) { seen.append(entry.section) }
        return seen
    }

    static func values(of c: KataConfiguration) -> [(String, [(String, JSONValue)])] {
        [
            ("hypervisor.qemu", hypervisorValues(c.hypervisor)),
            ("agent.kata", agentValues(c.agent)),
            ("runtime", runtimeValues(c.runtime)),
            ("factory", factoryValues(c.factory)),
        ]
    }

    private static func hypervisorValues(_ h: HypervisorConfiguration) -> [(String, JSONValue)] {
        [
            ("path", .string(h.path)),
            ("kernel", .string(h.kernel)),
            ("image", .string(h.image ?? "")),
            ("initrd", .string(h.initrd ?? "")),
            ("firmware", .string(h.firmware)),
            ("firmware_volume", .string(h.firmwareVolume)),
            ("pflashes", strings(h.pflashes)),
            ("rootfs_type", .string(h.rootfsType.rawValue)),
            ("machine_type", .string(h.machineType)),
            ("machine_accelerators", .string(h.machineAccelerators)),
            ("cpu_features", .string(h.cpuFeatures)),
            ("accelerator", .string(h.accelerator.rawValue)),
            ("agent_channel", .string(h.agentChannel.rawValue)),
            ("kernel_params", .string(h.kernelParams.joined(separator: " "))),
            ("kernel_verity_params", .string(h.kernelVerityParams)),
            ("default_vcpus", .number(h.defaultVCPUs)),
            ("default_maxvcpus", .unsigned(UInt64(h.defaultMaxVCPUs))),
            ("default_memory", .unsigned(UInt64(h.defaultMemoryMiB))),
            ("memory_slots", .unsigned(UInt64(h.memorySlots))),
            ("default_maxmemory", .unsigned(h.defaultMaxMemoryMiB)),
            ("memory_offset", .unsigned(h.memoryOffsetMiB)),
            ("enable_virtio_mem", .bool(h.enableVirtioMem)),
            ("enable_mem_prealloc", .bool(h.enableMemPrealloc)),
            ("enable_hugepages", .bool(h.enableHugepages)),
            ("file_mem_backend", .string(h.fileMemBackend)),
            ("reclaim_guest_freed_memory", .bool(h.reclaimGuestFreedMemory)),
            ("default_bridges", .unsigned(UInt64(h.defaultBridges))),
            ("shared_fs", .string(h.sharedFS.rawValue)),
            ("virtio_fs_daemon", .string(h.virtioFSDaemon)),
            ("virtio_fs_extra_args", strings(h.virtioFSExtraArgs)),
            ("virtio_fs_cache", .string(h.virtioFSCache)),
            ("virtio_fs_cache_size", .unsigned(UInt64(h.virtioFSCacheSize))),
            ("virtio_fs_queue_size", .unsigned(UInt64(h.virtioFSQueueSize))),
            ("msize_9p", .unsigned(UInt64(h.msize9p))),
            ("disable_image_nvdimm", .bool(h.disableImageNvdimm)),
            ("block_device_driver", .string(h.blockDeviceDriver)),
            ("block_device_aio", .string(h.blockDeviceAIO)),
            ("block_device_cache_set", .bool(h.blockDeviceCacheSet)),
            ("block_device_cache_direct", .bool(h.blockDeviceCacheDirect)),
            ("block_device_cache_noflush", .bool(h.blockDeviceCacheNoflush)),
            ("disable_block_device_use", .bool(h.disableBlockDeviceUse)),
            ("enable_iothreads", .bool(h.enableIOThreads)),
            ("entropy_source", .string(h.entropySource)),
            ("use_legacy_serial", .bool(h.useLegacySerial)),
            ("enable_iommu", .bool(h.enableIOMMU)),
            ("enable_iommu_platform", .bool(h.enableIOMMUPlatform)),
            ("disable_vhost_net", .bool(h.disableVhostNet)),
            ("hot_plug_vfio", .string(h.hotPlugVFIO)),
            ("cold_plug_vfio", .string(h.coldPlugVFIO)),
            ("pcie_root_port", .unsigned(UInt64(h.pcieRootPort))),
            ("pcie_switch_port", .unsigned(UInt64(h.pcieSwitchPort))),
            ("confidential_guest", .bool(h.confidentialGuest)),
            ("sev_snp_guest", .bool(h.sevSnpGuest)),
            // Absent means QEMU's own default policy.
            ("snp_guest_policy", h.snpGuestPolicy.map { .unsigned($0) } ?? .null),
            ("snp_id_block", .string(h.snpIDBlock)),
            ("snp_id_auth", .string(h.snpIDAuth)),
            ("tdx_quote_generation_service_socket_port", .unsigned(UInt64(h.tdxQuoteGenerationServiceSocketPort))),
            ("disable_guest_selinux", .bool(h.disableGuestSELinux)),
            ("disable_selinux", .bool(h.disableSELinux)),
            ("seccompsandbox", .string(h.seccompSandbox)),
            ("rootless", .bool(h.rootless)),
            ("enable_debug", .bool(h.enableDebug)),
            ("extra_monitor_socket", .string(h.extraMonitorSocket)),
            ("disable_nesting_checks", .bool(h.disableNestingChecks)),
            ("guest_hook_path", .string(h.guestHookPath)),
            ("guest_memory_dump_path", .string(h.guestMemoryDumpPath)),
            ("enable_annotations", strings(h.enableAnnotations)),
            ("valid_hypervisor_paths", strings(h.validHypervisorPaths)),
            ("valid_virtio_fs_daemon_paths", strings(h.validVirtioFSDaemonPaths)),
            ("valid_entropy_sources", strings(h.validEntropySources)),
            ("valid_file_mem_backends", strings(h.validFileMemBackends)),
        ]
    }

    private static func agentValues(_ a: KataAgentConfiguration) -> [(String, JSONValue)] {
        [
            ("dial_timeout", .unsigned(UInt64(a.dialTimeoutSeconds))),
            ("cdh_api_timeout", .unsigned(UInt64(a.cdhAPITimeoutSeconds))),
            ("launch_process_timeout", .unsigned(UInt64(a.launchProcessTimeoutSeconds))),
            ("enable_debug", .bool(a.enableDebug)),
            ("debug_console_enabled", .bool(a.debugConsoleEnabled)),
            ("kernel_modules", strings(a.kernelModules)),
            ("enable_tracing", .bool(a.enableTracing)),
        ]
    }

    private static func runtimeValues(_ r: RuntimeConfiguration) -> [(String, JSONValue)] {
        [
            ("enable_debug", .bool(r.enableDebug)),
            ("internetworking_model", .string(r.internetworkingModel)),
            ("disable_guest_seccomp", .bool(r.disableGuestSeccomp)),
            ("sandbox_cgroup_only", .bool(r.sandboxCgroupOnly)),
            ("static_sandbox_resource_mgmt", .bool(r.staticSandboxResourceMgmt)),
            ("disable_guest_empty_dir", .bool(r.disableGuestEmptyDir)),
            ("emptydir_mode", .string(r.emptydirMode)),
            ("create_container_timeout", .unsigned(r.createContainerTimeoutSeconds)),
            ("experimental_force_guest_pull", .bool(r.experimentalForceGuestPull)),
            ("vfio_mode", .string(r.vfioMode)),
            ("disable_new_netns", .bool(r.disableNewNetns)),
            ("experimental", strings(r.experimental)),
            ("dan_conf", .string(r.danConf)),
            ("kubelet_root_dir", .string(r.kubeletRootDir)),
            ("enable_pprof", .bool(r.enablePprof)),
            ("guest_selinux_label", .string(r.guestSELinuxLabel)),
            ("enable_vcpus_pinning", .bool(r.enableVCPUsPinning)),
            ("sandbox_bind_mounts", strings(r.sandboxBindMounts)),
        ]
    }

    private static func factoryValues(_ f: FactoryConfiguration) -> [(String, JSONValue)] {
        [
            ("enable_template", .bool(f.enableTemplate)),
            ("template_path", .string(f.templatePath)),
            ("vm_cache_number", .unsigned(UInt64(f.vmCacheNumber))),
            ("vm_cache_endpoint", .string(f.vmCacheEndpoint)),
        ]
    }

    private static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
}
