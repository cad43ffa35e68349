/// The guest kernel command line in Kata's order. The kernel keeps the last
/// value of a repeated key, so later groups win:
///
/// 1. amd64 defaults (and `intel_iommu=on iommu=pt` with `enable_iommu`);
/// 2. root parameters for the rootfs kind (dm-verity when configured);
/// 3. console;
/// 4. `quiet systemd.show_status=false`, or the debug equivalents;
/// 5. `panic=1`, `nr_cpus=` (not for confidential guests), `selinux=`;
/// 6. systemd units (image boots), `scsi_mod.scan=none` (virtio-scsi), the
///    agent's parameters, then `kernel_params` from the configuration, then
///    the `kernel_params` annotation, each of whose keys first removes the
///    same key from this group (Kata's override rule);
/// 7. `fips=1` when the host runs in FIPS mode.
public enum KernelCommandLine {
    /// Kata's amd64 defaults (`qemu_amd64.go`).
    public static let architectureDefaults: [KernelParameter] = KernelParameter.parse(
        "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests net.ifnames=0 pci=lastbus=0")

    /// Units that Kata's systemd-based guest images need.
    public static let systemdParameters: [KernelParameter] = KernelParameter.parse(
        "systemd.unit=kata-containers.target systemd.mask=systemd-networkd.service systemd.mask=systemd-networkd.socket")

    /// The port of the agent's debug console.
    public static let debugConsolePort = 1026

    /// The ordered parameters.
    /// - Parameters:
    ///   - configuration: the sandbox's configuration (after annotations).
    ///   - rootfs: how the root filesystem is attached.
    ///   - console: the console device.
    ///   - debug: Kata's hypervisor `enable_debug`.
    ///   - confidential: a TDX or SEV-SNP guest (no `nr_cpus=`).
    ///   - maxVCPUs: the VM's vCPU ceiling, for `nr_cpus=`.
    ///   - agentParameters: usually ``agentParameters(_:)`` of the configuration.
    ///   - annotationKernelParams: the `kernel_params` annotation's parameters.
    ///   - fips: the host's `/proc/sys/crypto/fips_enabled` is 1.
    public static func compose(
        configuration: KataConfiguration, rootfs: GuestRootfs, console: GuestConsole, debug: Bool,
        confidential: Bool, maxVCPUs: UInt32, agentParameters: [KernelParameter],
        annotationKernelParams: [KernelParameter] = [], fips: Bool = false
    ) throws(ConfigurationError) -> [KernelParameter] {
        let hypervisor = configuration.hypervisor
        var params = architectureDefaults
        if hypervisor.enableIOMMU {
            params += [KernelParameter("intel_iommu", "on"), KernelParameter("iommu", "pt")]
        }
        params += try rootParameters(hypervisor, rootfs: rootfs)
        switch console {
        case .virtio: params += [KernelParameter("console", "hvc0"), KernelParameter("console", "hvc1")]
        case .legacySerial: params += [KernelParameter("console", "ttyS0")]
        }
        if debug {
            params += KernelParameter.parse("debug systemd.show_status=true systemd.log_level=debug")
        } else {
            params += KernelParameter.parse("quiet systemd.show_status=false")
        }
        params.append(KernelParameter("panic", "1"))
        if !confidential { params.append(KernelParameter("nr_cpus", String(maxVCPUs))) }
        params.append(KernelParameter("selinux", hypervisor.disableGuestSELinux ? "0" : "1"))

        var configured: [KernelParameter] = []
        if rootfs != .initrd { configured += systemdParameters }
        if hypervisor.blockDeviceDriver == "virtio-scsi" { configured.append(KernelParameter("scsi_mod.scan", "none")) }
        configured += agentParameters
        configured += hypervisor.kernelParams.map(KernelParameter.init(word:))
        params += KernelParameter.override(configured, with: annotationKernelParams)
        if fips { params.append(KernelParameter("fips", "1")) }
        return params
    }

    /// The command line for a sandbox: rootfs, console and debug from its
    /// configuration, `nr_cpus=` from its sizing.
    public static func compose(_ sandbox: SandboxConfiguration, sizing: SandboxSizing, fips: Bool = false)
        throws(ConfigurationError) -> [KernelParameter]
    {
        let configuration = sandbox.configuration
        return try compose(
            configuration: configuration, rootfs: GuestRootfs(hypervisor: configuration.hypervisor),
            console: GuestConsole(hypervisor: configuration.hypervisor), debug: configuration.hypervisor.enableDebug,
            confidential: configuration.hypervisor.confidentialGuest, maxVCPUs: sizing.maxVCPUs,
            agentParameters: agentParameters(configuration.agent),
            annotationKernelParams: sandbox.annotationKernelParams, fips: fips)
    }

    /// `agent.*` parameters from `[agent.kata]`, in Kata's order.
    public static func agentParameters(_ agent: KataAgentConfiguration) -> [KernelParameter] {
        var params: [KernelParameter] = []
        if agent.enableDebug { params.append(KernelParameter("agent.log", "debug")) }
        if agent.enableTracing { params.append(KernelParameter("agent.trace", "true")) }
        if agent.containerPipeSize > 0 {
            params.append(KernelParameter("agent.container_pipe_size", String(agent.containerPipeSize)))
        }
        if agent.debugConsoleEnabled {
            params += [KernelParameter("agent.debug_console"), KernelParameter("agent.debug_console_vport", String(debugConsolePort))]
        }
        if agent.cdhAPITimeoutSeconds > 0 {
            params.append(KernelParameter("agent.cdh_api_timeout", String(agent.cdhAPITimeoutSeconds)))
        }
        if agent.launchProcessTimeoutSeconds > 0 {
            params.append(KernelParameter("agent.launch_process_timeout", String(agent.launchProcessTimeoutSeconds)))
        }
        return params
    }

    /// The parameters joined for QEMU's `-append`.
    public static func render(_ params: [KernelParameter]) -> String {
        params.map(\.description).joined(separator: " ")
    }

    /// `root=`, `rootflags=`, `ro`, `rootfstype=` (Kata's `GetKernelRootParams`),
    /// or the dm-verity form when `kernel_verity_params` is set.
    static func rootParameters(_ hypervisor: HypervisorConfiguration, rootfs: GuestRootfs)
        throws(ConfigurationError) -> [KernelParameter]
    {
        let (data, hash): (String, String)
        switch rootfs {
        case .initrd: return []
        case .nvdimm: (data, hash) = ("/dev/pmem0p1", "/dev/pmem0p2")
        case .virtioBlk: (data, hash) = ("/dev/vda1", "/dev/vda2")
        }
        let dax = rootfs == .nvdimm
        var params: [KernelParameter] = []
        if !hypervisor.kernelVerityParams.isEmpty {
            let verity: KernelVerityParameters
            do {
                verity = try KernelVerityParameters(hypervisor.kernelVerityParams)
            } catch {
                throw ConfigurationError("hypervisor.qemu.kernel_verity_params: \(error.message)")
            }
            params.append(verity.deviceMapperParameter(dataDevice: data, hashDevice: hash))
            params.append(KernelParameter("root", "/dev/dm-0"))
        } else {
            params.append(KernelParameter("root", data))
        }
        switch hypervisor.rootfsType {
        case .erofs:
            params += dax ? [KernelParameter("rootflags", "dax"), KernelParameter("ro")] : [KernelParameter("rootflags", "ro")]
        case .ext4, .xfs:
            params.append(KernelParameter("rootflags", (dax ? "dax," : "") + "data=ordered,errors=remount-ro"))
            params.append(KernelParameter("ro"))
        }
        params.append(KernelParameter("rootfstype", hypervisor.rootfsType.rawValue))
        return params
    }
}
