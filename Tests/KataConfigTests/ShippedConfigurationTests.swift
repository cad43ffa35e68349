import Testing
@testable import KataConfig

/// The four shipped files and Kata's own generated files load without a
/// warning, with Kata's values.
@Suite struct ShippedConfigurationTests {
    static let shipped = [
        "configuration-qemu.toml", "configuration-qemu-coco-dev.toml",
        "configuration-qemu-tdx.toml", "configuration-qemu-snp.toml",
    ]

    static func load(_ path: String) throws -> LoadedConfiguration {
        try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: path)
    }

    @Test(arguments: shipped)
    func loadsWithoutWarnings(_ name: String) throws {
        let loaded = try Self.load(TestFiles.shipped(name))
        #expect(loaded.warnings == [])
        #expect(loaded.source == .runtimeOptions)
        #expect(loaded.dropIns == [])
        let h = loaded.configuration.hypervisor
        #expect(h.path == "/opt/kata/bin/qemu-system-x86_64")
        #expect(h.machineType == "q35")
        #expect(h.cpuFeatures == "pmu=off")
        #expect(h.defaultVCPUs == 1)
        #expect(h.defaultMaxVCPUs == 0)
        #expect(h.defaultMemoryMiB == 2048)
        #expect(h.memorySlots == 10)
        #expect(h.accelerator == .kvm)
        #expect(h.agentChannel == .vsock)
        #expect(h.entropySource == "/dev/urandom")
        #expect(h.blockDeviceDriver == "virtio-scsi")
        #expect(h.blockDeviceAIO == "io_uring")
        #expect(h.disableGuestSELinux)
        #expect(loaded.configuration.runtime.createContainerTimeoutSeconds == 60)
        #expect(loaded.configuration.runtime.internetworkingModel == "tcfilter")
    }

    @Test func qemuValues() throws {
        let c = try Self.load(TestFiles.shipped("configuration-qemu.toml")).configuration
        #expect(c.hypervisor.kernel == "/opt/kata/share/kata-containers/vmlinux.container")
        #expect(c.hypervisor.image == "/opt/kata/share/kata-containers/kata-containers.img")
        #expect(c.hypervisor.initrd == nil)
        #expect(c.hypervisor.sharedFS == .virtioFS)
        #expect(c.hypervisor.kernelParams == ["cgroup_no_v1=all", "systemd.unified_cgroup_hierarchy=1"])
        #expect(c.hypervisor.enableAnnotations == ["enable_iommu", "kernel_params", "kernel_verity_params"])
        #expect(c.hypervisor.confidentialGuest == false)
        #expect(c.agent.dialTimeoutSeconds == 45)
        #expect(c.agent.cdhAPITimeoutSeconds == 50)
        #expect(c.agent.launchProcessTimeoutSeconds == 0)
        #expect(c.runtime.staticSandboxResourceMgmt == false)
        #expect(c.runtime.emptydirMode == "shared-fs")
    }

    @Test func cocoDevValues() throws {
        let c = try Self.load(TestFiles.shipped("configuration-qemu-coco-dev.toml")).configuration
        #expect(c.hypervisor.kernel == "/opt/kata/share/kata-containers/vmlinuz.container")
        #expect(c.hypervisor.image == "/opt/kata/share/kata-containers/kata-containers-confidential.img")
        #expect(c.hypervisor.sharedFS == SharedFilesystem.none)
        #expect(c.hypervisor.kernelParams == [])
        #expect(c.hypervisor.disableImageNvdimm == false)
        #expect(c.hypervisor.disableNestingChecks)
        #expect(c.hypervisor.enableAnnotations.contains("cc_init_data"))
        #expect(c.agent.dialTimeoutSeconds == 45)
        #expect(c.agent.cdhAPITimeoutSeconds == 50)
        #expect(c.agent.launchProcessTimeoutSeconds == 6)
        #expect(c.runtime.staticSandboxResourceMgmt)
        #expect(c.runtime.emptydirMode == "block-encrypted")
        #expect(c.runtime.experimentalForceGuestPull == false)
    }

    @Test func tdxValues() throws {
        let c = try Self.load(TestFiles.shipped("configuration-qemu-tdx.toml")).configuration
        #expect(c.hypervisor.confidentialGuest)
        #expect(c.hypervisor.sevSnpGuest == false)
        #expect(c.hypervisor.firmware == "/opt/kata/share/ovmf/OVMF.inteltdx.fd")
        #expect(c.hypervisor.disableImageNvdimm)
        #expect(c.hypervisor.tdxQuoteGenerationServiceSocketPort == 0)
        #expect(c.agent.dialTimeoutSeconds == 60)
        #expect(c.agent.cdhAPITimeoutSeconds == 0)
    }

    @Test func snpValues() throws {
        let c = try Self.load(TestFiles.shipped("configuration-qemu-snp.toml")).configuration
        #expect(c.hypervisor.confidentialGuest)
        #expect(c.hypervisor.sevSnpGuest)
        #expect(c.hypervisor.snpGuestPolicy == 196608)
        #expect(c.hypervisor.snpIDBlock == "")
        #expect(c.hypervisor.firmware == "/opt/kata/share/ovmf/AMDSEV.fd")
        #expect(c.agent.dialTimeoutSeconds == 90)
    }

    /// Kata's own files, with every key its templates have (current and older
    /// ones), load without a single warning.
    @Test(arguments: ["kata-qemu-snp-generated.toml", "kata-qemu-generated.toml"])
    func katasOwnFilesLoadUnchanged(_ name: String) throws {
        let loaded = try Self.load(TestFiles.fixture(name))
        #expect(loaded.warnings == [])
    }

    @Test func katasGeneratedSNPValues() throws {
        let c = try Self.load(TestFiles.fixture("kata-qemu-snp-generated.toml")).configuration
        #expect(c.hypervisor.path == "/usr/bin/qemu-system-x86_64")
        #expect(c.hypervisor.validEntropySources == ["/dev/urandom", "/dev/random", ""])
        #expect(c.hypervisor.virtioFSExtraArgs == ["--thread-pool-size=1", "--announce-submounts"])
        #expect(c.hypervisor.msize9p == 8192)
        #expect(c.runtime.kubeletRootDir == "/var/lib/kubelet")
        #expect(c.factory.templatePath == "/run/vc/vm/template")
    }

    /// Every key of the schema is set by one of the two generated files or
    /// the shipped ones, except this runtime's additions and keys only older
    /// or other-hypervisor templates had: the table has no invented keys.
    @Test func schemaKeysComeFromKatasFiles() throws {
        var seen: Set<String> = []
        for path in ["kata-qemu-snp-generated.toml", "kata-qemu-generated.toml"].map(TestFiles.fixture)
            + Self.shipped.map(TestFiles.shipped)
        {
            seen.formUnion(try Self.load(path).origins.keys)
        }
        let notInFiles: Set<String> = [
            "hypervisor.qemu.initrd", "hypervisor.qemu.tdx_quote_generation_service_socket_port",
            "hypervisor.qemu.reclaim_guest_freed_memory", "hypervisor.qemu.pcie_switch_port",
            "hypervisor.qemu.jailer_path", "hypervisor.qemu.valid_jailer_paths", "hypervisor.qemu.ctlpath",
            "hypervisor.qemu.valid_ctlpaths", "hypervisor.qemu.remote_hypervisor_socket",
            "hypervisor.qemu.remote_hypervisor_timeout", "hypervisor.qemu.hypervisor_loglevel",
            "hypervisor.qemu.disable_seccomp", "hypervisor.qemu.snp_certs_path", "hypervisor.qemu.default_gpus",
            "hypervisor.qemu.default_gpu_model", "hypervisor.qemu.disk_rate_limiter_bw_max_rate",
            "hypervisor.qemu.disk_rate_limiter_bw_one_time_burst", "hypervisor.qemu.disk_rate_limiter_ops_max_rate",
            "hypervisor.qemu.disk_rate_limiter_ops_one_time_burst", "hypervisor.qemu.net_rate_limiter_bw_max_rate",
            "hypervisor.qemu.net_rate_limiter_bw_one_time_burst", "hypervisor.qemu.net_rate_limiter_ops_max_rate",
            "hypervisor.qemu.net_rate_limiter_ops_one_time_burst",
        ]
        for (section, keys) in ConfigurationSchema.knownKeys {
            for key in keys {
                let path = "\(section).\(key.name)"
                #expect(seen.contains(path) || notInFiles.contains(path), "\(path) is in no Kata file")
            }
        }
    }
}

/// The schema table itself.
@Suite struct ConfigurationSchemaTests {
    @Test func noKeyIsListedTwice() {
        for (section, keys) in ConfigurationSchema.knownKeys {
            #expect(Set(keys.map(\.name)).count == keys.count, "\(section)")
        }
    }

    @Test func ourKeysAreKnownWithTheirTypes() {
        #expect(ConfigurationSchema.key("accelerator", in: "hypervisor.qemu") == ConfigurationKey(name: "accelerator", type: .string))
        #expect(ConfigurationSchema.key("agent_channel", in: "hypervisor.qemu")?.type == .string)
        #expect(ConfigurationSchema.key("default_memory", in: "hypervisor.qemu") == ConfigurationKey(name: "default_memory", type: .unsignedInteger, unit: "MiB"))
        #expect(ConfigurationSchema.key("default_vcpus", in: "hypervisor.qemu")?.type == .number)
        #expect(ConfigurationSchema.key("jailer_path", in: "hypervisor.qemu")?.used == false)
        #expect(ConfigurationSchema.key("nope", in: "hypervisor.qemu") == nil)
    }
}
