extension ConfigurationSchema {
    /// Kata's minimum VM memory: a smaller `default_memory` in a file means 2048.
    static let minimumMemoryMiB: UInt32 = 256
    /// QEMU's vCPU limit on amd64, Kata's cap for `default_maxvcpus`.
    public static let maximumVCPUs: UInt32 = 240

    static var hypervisorFields: [ConfigurationField<HypervisorConfiguration>] {
        assetFields + machineFields + resourceFields + deviceFields + confidentialFields + securityFields
            + annotationFields + unusedHypervisorFields
    }

    private static var assetFields: [ConfigurationField<HypervisorConfiguration>] {
        [
            .string("path", \.path, emptyMeansDefault: true),
            .string("kernel", \.kernel, emptyMeansDefault: true),
            .optionalString("image", \.image),
            .optionalString("initrd", \.initrd),
            .string("firmware", \.firmware),
            .string("firmware_volume", \.firmwareVolume),
            .strings("pflashes", \.pflashes),
            .choice("rootfs_type", \.rootfsType),
        ]
    }

    private static var machineFields: [ConfigurationField<HypervisorConfiguration>] {
        [
            .string("machine_type", \.machineType, emptyMeansDefault: true),
            commaList("machine_accelerators", \.machineAccelerators),
            commaList("cpu_features", \.cpuFeatures),
            .choice("accelerator", \.accelerator),
            .choice("agent_channel", \.agentChannel),
            kernelParamsField,
            .string("kernel_verity_params", \.kernelVerityParams),
        ]
    }

    private static var resourceFields: [ConfigurationField<HypervisorConfiguration>] {
        [
            .number("default_vcpus", \.defaultVCPUs, unit: "vCPUs") { $0 == 0 ? (1, nil) : ($0, nil) },
            .uint32("default_maxvcpus", \.defaultMaxVCPUs, unit: "vCPUs"),
            .uint32("default_memory", \.defaultMemoryMiB, unit: "MiB") { value in
                if value == 0 { return (2048, nil) }
                if value < minimumMemoryMiB {
                    return (2048, "\(value) MiB is below Kata's minimum of \(minimumMemoryMiB) MiB; using 2048 MiB as Kata does")
                }
                return (value, nil)
            },
            .uint32("memory_slots", \.memorySlots) { $0 == 0 ? (10, nil) : ($0, nil) },
            .uint64("default_maxmemory", \.defaultMaxMemoryMiB, unit: "MiB"),
            .uint64("memory_offset", \.memoryOffsetMiB, unit: "MiB"),
            .bool("enable_virtio_mem", \.enableVirtioMem),
            .bool("enable_mem_prealloc", \.enableMemPrealloc),
            .bool("enable_hugepages", \.enableHugepages),
            .string("file_mem_backend", \.fileMemBackend),
            .bool("reclaim_guest_freed_memory", \.reclaimGuestFreedMemory),
        ]
    }

    private static var deviceFields: [ConfigurationField<HypervisorConfiguration>] {
        [
            .uint32("default_bridges", \.defaultBridges) { value in
                if value == 0 { return (1, nil) }
                if value > 5 { return (5, "at most 5 PCI bridges can be cold-plugged; using 5 as Kata does") }
                return (value, nil)
            },
            sharedFSField,
            .string("virtio_fs_daemon", \.virtioFSDaemon),
            .strings("virtio_fs_extra_args", \.virtioFSExtraArgs),
            .string("virtio_fs_cache", \.virtioFSCache, emptyMeansDefault: true),
            .uint32("virtio_fs_cache_size", \.virtioFSCacheSize, unit: "MiB"),
            .uint32("virtio_fs_queue_size", \.virtioFSQueueSize) { $0 == 0 ? (1024, nil) : ($0, nil) },
            .uint32("msize_9p", \.msize9p, unit: "bytes") { $0 == 0 ? (8192, nil) : ($0, nil) },
            .bool("disable_image_nvdimm", \.disableImageNvdimm),
            .choice("block_device_driver", \.blockDeviceDriver, ["virtio-scsi", "virtio-blk", "virtio-mmio", "nvdimm", "virtio-blk-ccw"]),
            .choice("block_device_aio", \.blockDeviceAIO, ["io_uring", "native", "threads"]),
            .bool("block_device_cache_set", \.blockDeviceCacheSet),
            .bool("block_device_cache_direct", \.blockDeviceCacheDirect),
            .bool("block_device_cache_noflush", \.blockDeviceCacheNoflush),
            .bool("disable_block_device_use", \.disableBlockDeviceUse),
            .bool("enable_iothreads", \.enableIOThreads),
            .string("entropy_source", \.entropySource, emptyMeansDefault: true),
            .bool("use_legacy_serial", \.useLegacySerial),
            .bool("enable_iommu", \.enableIOMMU),
            .bool("enable_iommu_platform", \.enableIOMMUPlatform),
            .bool("disable_vhost_net", \.disableVhostNet),
            .choice("hot_plug_vfio", \.hotPlugVFIO, pciePorts),
            .choice("cold_plug_vfio", \.coldPlugVFIO, pciePorts),
            .uint32("pcie_root_port", \.pcieRootPort) { $0 > 16 ? (16, "at most 16 PCIe root ports; using 16 as Kata does") : ($0, nil) },
            .uint32("pcie_switch_port", \.pcieSwitchPort) { $0 > 16 ? (16, "at most 16 PCIe switch ports; using 16 as Kata does") : ($0, nil) },
        ]
    }

    static let pciePorts = ["no-port", "bridge-port", "root-port", "switch-port"]

    private static var confidentialFields: [ConfigurationField<HypervisorConfiguration>] {
        [
            .bool("confidential_guest", \.confidentialGuest),
            .bool("sev_snp_guest", \.sevSnpGuest),
            .optionalUInt64("snp_guest_policy", \.snpGuestPolicy),
            .string("snp_id_block", \.snpIDBlock),
            .string("snp_id_auth", \.snpIDAuth),
            .uint32("tdx_quote_generation_service_socket_port", \.tdxQuoteGenerationServiceSocketPort),
        ]
    }

    private static var securityFields: [ConfigurationField<HypervisorConfiguration>] {
        [
            .bool("disable_guest_selinux", \.disableGuestSELinux),
            .bool("disable_selinux", \.disableSELinux),
            .string("seccompsandbox", \.seccompSandbox),
            .bool("rootless", \.rootless),
            .bool("enable_debug", \.enableDebug),
            .choice("extra_monitor_socket", \.extraMonitorSocket, ["hmp", "qmp", "qmp-pretty"]),
            .bool("disable_nesting_checks", \.disableNestingChecks),
            .string("guest_hook_path", \.guestHookPath),
            .string("guest_memory_dump_path", \.guestMemoryDumpPath),
        ]
    }

    private static var annotationFields: [ConfigurationField<HypervisorConfiguration>] {
        [
            enableAnnotationsField,
            .strings("valid_hypervisor_paths", \.validHypervisorPaths),
            .strings("valid_virtio_fs_daemon_paths", \.validVirtioFSDaemonPaths),
            .strings("valid_entropy_sources", \.validEntropySources),
            .strings("valid_file_mem_backends", \.validFileMemBackends),
        ]
    }

    /// Keys of Kata's files (current and older) that this runtime checks but does not use.
    private static var unusedHypervisorFields: [ConfigurationField<HypervisorConfiguration>] {
        [
            .ignored("jailer_path", .string), .ignored("valid_jailer_paths", .stringArray),
            .ignored("ctlpath", .string), .ignored("valid_ctlpaths", .stringArray),
            .ignored("vhost_user_store_path", .string), .ignored("valid_vhost_user_store_paths", .stringArray),
            .ignored("enable_vhost_user_store", .boolean),
            .ignored("vhost_user_reconnect_timeout_sec", .unsignedInteger, unit: "seconds"),
            .ignored("remote_hypervisor_socket", .string), .ignored("remote_hypervisor_timeout", .unsignedInteger),
            .ignored("rx_rate_limiter_max_rate", .unsignedInteger, unit: "bits/s"),
            .ignored("tx_rate_limiter_max_rate", .unsignedInteger, unit: "bits/s"),
            .ignored("disk_rate_limiter_bw_max_rate", .unsignedInteger),
            .ignored("disk_rate_limiter_bw_one_time_burst", .unsignedInteger),
            .ignored("disk_rate_limiter_ops_max_rate", .unsignedInteger),
            .ignored("disk_rate_limiter_ops_one_time_burst", .unsignedInteger),
            .ignored("net_rate_limiter_bw_max_rate", .unsignedInteger),
            .ignored("net_rate_limiter_bw_one_time_burst", .unsignedInteger),
            .ignored("net_rate_limiter_ops_max_rate", .unsignedInteger),
            .ignored("net_rate_limiter_ops_one_time_burst", .unsignedInteger),
            .ignored("hypervisor_loglevel", .unsignedInteger),
            .ignored("indep_iothreads", .boolean),
            .ignored("guest_memory_dump_paging", .boolean),
            .ignored("enable_guest_swap", .boolean),
            .ignored("disable_seccomp", .boolean),
            .ignored("hotplug_vfio_on_root_bus", .boolean),
            .ignored("snp_certs_path", .string),
            .ignored("enable_numa", .boolean),
            .ignored("numa_mapping", .stringArray),
            .ignored("block_device_logical_sector_size", .unsignedInteger, unit: "bytes"),
            .ignored("block_device_physical_sector_size", .unsignedInteger, unit: "bytes"),
            .ignored("default_gpus", .unsignedInteger), .ignored("default_gpu_model", .string),
        ]
    }

    /// `shared_fs`, with a pointed message for Kata's nydus mode.
    private static var sharedFSField: ConfigurationField<HypervisorConfiguration> {
        let key = ConfigurationKey(name: "shared_fs", type: .string)
        return ConfigurationField(key: key) { (node, root) throws(ValueMismatch) in
            let value = try node.string(key)
            if value.isEmpty { return nil }
            guard let fs = SharedFilesystem(rawValue: value) else {
                let choices = SharedFilesystem.allCases.map { TOMLNode.quoted($0.rawValue) }.joined(separator: ", ")
                throw ValueMismatch(
                    expected: "one of \(choices)" + (value == "virtio-fs-nydus" ? " (this runtime has no nydus mode)" : ""))
            }
            root.sharedFS = fs
            return nil
        }
    }

    /// A comma-separated list, blanks around items removed, as Kata does.
    private static func commaList(_ name: String, _ path: WritableKeyPath<HypervisorConfiguration, String>)
        -> ConfigurationField<HypervisorConfiguration>
    {
        let key = ConfigurationKey(name: name, type: .string)
        return ConfigurationField(key: key) { (node, root) throws(ValueMismatch) in
            let items = try node.string(key).split(separator: ",").map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
            root[keyPath: path] = items.joined(separator: ",")
            return nil
        }
    }

    private static var kernelParamsField: ConfigurationField<HypervisorConfiguration> {
        let key = ConfigurationKey(name: "kernel_params", type: .string)
        return ConfigurationField(key: key) { (node, root) throws(ValueMismatch) in
            root.kernelParams = KernelParameter.words(try node.string(key))
            return nil
        }
    }

    /// `enable_annotations`: each entry must compile as a regular expression.
    private static var enableAnnotationsField: ConfigurationField<HypervisorConfiguration> {
        let key = ConfigurationKey(name: "enable_annotations", type: .stringArray)
        return ConfigurationField(key: key) { (node, root) throws(ValueMismatch) in
            let patterns = try node.strings(key)
            for (index, pattern) in patterns.enumerated() where (try? Regex(pattern)) == nil {
                throw ValueMismatch(
                    expected: "regular expressions naming annotations, such as \"kernel_params\" or \"default_.*\"",
                    found: "\(TOMLNode.quoted(pattern)) at index \(index), which is not a valid regular expression")
            }
            root.enableAnnotations = patterns
            return nil
        }
    }
}
