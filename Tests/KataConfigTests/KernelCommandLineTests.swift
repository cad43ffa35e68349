import Testing
@testable import KataConfig

/// Kata's kernel command line, reproduced.
@Suite struct KernelCommandLineTests {
    static func load(_ name: String) throws -> KataConfiguration {
        try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: TestFiles.shipped(name)).configuration
    }

    static let bigHost = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 16, memoryMiB: 65536)

    /// kata-shim-compat.md §3.11: configuration-qemu.toml, 1 vCPU, 2048 MiB,
    /// a 16-CPU 64 GiB host.
    @Test func configurationQemuReference() throws {
        let configuration = try Self.load("configuration-qemu.toml")
        let sandbox = SandboxConfiguration(configuration: configuration)
        let sizing = SandboxSizing(configuration: configuration, workload: WorkloadResources(), host: Self.bigHost)
        #expect(sizing.vcpus == 1)
        #expect(sizing.maxVCPUs == 16)
        let line = KernelCommandLine.render(try KernelCommandLine.compose(sandbox, sizing: sizing))
        #expect(line == "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests net.ifnames=0 pci=lastbus=0 root=/dev/pmem0p1 rootflags=dax,data=ordered,errors=remount-ro ro rootfstype=ext4 console=hvc0 console=hvc1 quiet systemd.show_status=false panic=1 nr_cpus=16 selinux=0 systemd.unit=kata-containers.target systemd.mask=systemd-networkd.service systemd.mask=systemd-networkd.socket scsi_mod.scan=none agent.cdh_api_timeout=50 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1")
    }

    /// §3.11's coco-dev differences: no cgroup parameters, both agent timeouts.
    @Test func cocoDev() throws {
        let configuration = try Self.load("configuration-qemu-coco-dev.toml")
        let sizing = SandboxSizing(configuration: configuration, workload: WorkloadResources(), host: Self.bigHost)
        let line = KernelCommandLine.render(try KernelCommandLine.compose(SandboxConfiguration(configuration: configuration), sizing: sizing))
        #expect(line.hasSuffix("root=/dev/pmem0p1 rootflags=dax,data=ordered,errors=remount-ro ro rootfstype=ext4 console=hvc0 console=hvc1 quiet systemd.show_status=false panic=1 nr_cpus=1 selinux=0 systemd.unit=kata-containers.target systemd.mask=systemd-networkd.service systemd.mask=systemd-networkd.socket scsi_mod.scan=none agent.cdh_api_timeout=50 agent.launch_process_timeout=6"))
    }

    /// TDX: virtio-blk root without DAX, no nr_cpus.
    @Test func tdx() throws {
        let configuration = try Self.load("configuration-qemu-tdx.toml")
        let sizing = SandboxSizing(configuration: configuration, workload: WorkloadResources(), host: Self.bigHost)
        let line = KernelCommandLine.render(try KernelCommandLine.compose(SandboxConfiguration(configuration: configuration), sizing: sizing))
        #expect(line.hasSuffix("pci=lastbus=0 root=/dev/vda1 rootflags=data=ordered,errors=remount-ro ro rootfstype=ext4 console=hvc0 console=hvc1 quiet systemd.show_status=false panic=1 selinux=0 systemd.unit=kata-containers.target systemd.mask=systemd-networkd.service systemd.mask=systemd-networkd.socket scsi_mod.scan=none agent.launch_process_timeout=6 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"))
        #expect(!line.contains("nr_cpus"))
    }

    /// An annotation key removes every earlier parameter with that key from
    /// the configured group, then is appended; the defaults before stay.
    @Test func annotationOverrideRule() throws {
        let configuration = try Self.load("configuration-qemu.toml")
        let params = try KernelCommandLine.compose(
            configuration: configuration, rootfs: .nvdimm, console: .virtio, debug: false, confidential: false,
            maxVCPUs: 4, agentParameters: KernelCommandLine.agentParameters(configuration.agent),
            annotationKernelParams: KernelParameter.parse("systemd.mask=foo.service cgroup_no_v1 agent.cdh_api_timeout=10 panic=0 console=ttyS0"))
        let line = KernelCommandLine.render(params)
        #expect(line.hasSuffix("panic=1 nr_cpus=4 selinux=0 systemd.unit=kata-containers.target scsi_mod.scan=none systemd.unified_cgroup_hierarchy=1 systemd.mask=foo.service cgroup_no_v1 agent.cdh_api_timeout=10 panic=0 console=ttyS0"))
        #expect(line.contains("console=hvc0 console=hvc1"))
    }

    @Test func overrideRuleAlone() {
        let base = KernelParameter.parse("a=1 b=2 a=3 c")
        #expect(KernelParameter.override(base, with: KernelParameter.parse("a=9 c=1 d")).map(\.description) == ["b=2", "a=9", "c=1", "d"])
        #expect(KernelParameter.override(base, with: []) == base)
    }

    @Test func wordsHonourQuotes() {
        #expect(KernelParameter.words(#"  a=1 dm-mod.create="x y" "q r"  z"#) == ["a=1", #"dm-mod.create="x y""#, #""q r""#, "z"])
        #expect(KernelParameter(word: "a=b=c") == KernelParameter("a", "b=c"))
        #expect(KernelParameter(word: "quiet") == KernelParameter("quiet"))
    }

    @Test func initrdDebugLegacySerialAndIOMMU() throws {
        var configuration = KataConfiguration()
        configuration.hypervisor.initrd = "/initrd"
        configuration.hypervisor.enableIOMMU = true
        configuration.hypervisor.disableGuestSELinux = false
        configuration.hypervisor.blockDeviceDriver = "virtio-blk"
        configuration.agent.enableDebug = true
        configuration.agent.debugConsoleEnabled = true
        configuration.agent.enableTracing = true
        configuration.agent.containerPipeSize = 1048576
        let params = try KernelCommandLine.compose(
            configuration: configuration, rootfs: GuestRootfs(hypervisor: configuration.hypervisor),
            console: .legacySerial, debug: true, confidential: false, maxVCPUs: 2,
            agentParameters: KernelCommandLine.agentParameters(configuration.agent), fips: true)
        #expect(KernelCommandLine.render(params).hasSuffix("pci=lastbus=0 intel_iommu=on iommu=pt console=ttyS0 debug systemd.show_status=true systemd.log_level=debug panic=1 nr_cpus=2 selinux=1 agent.log=debug agent.trace=true agent.container_pipe_size=1048576 agent.debug_console agent.debug_console_vport=1026 fips=1"))
    }

    @Test func rootfsKinds() throws {
        var h = HypervisorConfiguration()
        h.image = "/i"
        #expect(GuestRootfs(hypervisor: h) == .nvdimm)
        h.confidentialGuest = true
        #expect(GuestRootfs(hypervisor: h) == .virtioBlk)
        h.confidentialGuest = false
        h.disableImageNvdimm = true
        #expect(GuestRootfs(hypervisor: h) == .virtioBlk)
        h.image = nil
        h.initrd = "/r"
        #expect(GuestRootfs(hypervisor: h) == .initrd)

        var xfs = HypervisorConfiguration()
        xfs.rootfsType = .xfs
        #expect(try KernelCommandLine.rootParameters(xfs, rootfs: .virtioBlk).map(\.description)
            == ["root=/dev/vda1", "rootflags=data=ordered,errors=remount-ro", "ro", "rootfstype=xfs"])
        var erofs = HypervisorConfiguration()
        erofs.rootfsType = .erofs
        #expect(try KernelCommandLine.rootParameters(erofs, rootfs: .nvdimm).map(\.description)
            == ["root=/dev/pmem0p1", "rootflags=dax", "ro", "rootfstype=erofs"])
        #expect(try KernelCommandLine.rootParameters(erofs, rootfs: .virtioBlk).map(\.description)
            == ["root=/dev/vda1", "rootflags=ro", "rootfstype=erofs"])
    }

    @Test func dmVerity() throws {
        var h = HypervisorConfiguration()
        h.kernelVerityParams = "root_hash=0a1b,salt=ff00,data_blocks=1024,data_block_size=4096,hash_block_size=4096"
        #expect(try KernelCommandLine.rootParameters(h, rootfs: .virtioBlk).map(\.description) == [
            #"dm-mod.create="dm-verity,,,ro,0 8192 verity 1 /dev/vda1 /dev/vda2 4096 4096 1024 0 sha256 0a1b ff00""#,
            "root=/dev/dm-0", "rootflags=data=ordered,errors=remount-ro", "ro", "rootfstype=ext4",
        ])
    }
}
