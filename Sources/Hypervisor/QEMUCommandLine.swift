import KataConfig

/// The QEMU command line of a sandbox's VM, as Kata's `containerd-shim-kata-v2`
/// builds it (`virtcontainers/qemu.go`, `qemu_amd64.go`, `qemu_arch_base.go`,
/// govmm's `LaunchQemu`): a pure function of the configuration and a
/// ``SandboxPlan``.
///
/// Arguments come in Kata's order: `-name`, `-uuid`, `-machine`, `-cpu`,
/// `-qmp`, `-m`, the devices, `-rtc`, `-global`, `-pflash`, `-vga`, the knobs
/// and the memory backend, `-kernel`, `-initrd`, `-append`, `-bios`, the I/O
/// thread, `-pidfile`, `-sandbox`, `-smp`. Devices come in the order Kata
/// cold-plugs them: PCI bridges, console, rootfs image (nvdimm or
/// virtio-blk), vIOMMU, pvpanic, virtio-scsi controller, initdata disk,
/// TDX / SEV-SNP / SEV object, virtio-rng, the agent channel, the shared file
/// system, the network endpoints.
///
/// Where this builder departs from Kata, on purpose:
/// - `accelerator = "tcg"` (our key) gives `accel=tcg` and `-cpu max`: TCG
///   has no `host` CPU model, and `max` is the closest (every feature TCG can
///   emulate). A confidential guest under TCG is refused.
/// - `agent_channel = "virtio-serial"` (our key) replaces vhost-vsock by a
///   `virtserialport` named `agent.channel.0` on its own controller:
///   `-device virtio-serial-pci,disable-modern=false,id=agent-serial`
///   `-device virtserialport,bus=agent-serial.0,chardev=charch0,id=channel0,name=agent.channel.0`
///   `-chardev socket,id=charch0,path=<socket>,server=on,wait=off`, at the
///   place of the vsock device. Its own controller keeps the console's
///   `serial0` exactly as Kata lays it out, and works with `use_legacy_serial`
///   (which has no virtio-serial controller at all); `charch0`/`channel0` are
///   the ids Kata used for this port when it still had one.
/// - An empty `cpu_features` gives `-cpu host` rather than Kata's `-cpu host,`.
/// - Commas inside paths and ids are doubled in QEMU option strings (QEMU's
///   escape); Kata passes them through and QEMU then misparses the option.
/// - What Kata skips silently (an nvdimm of size 0, a TDX or SEV-SNP object
///   without firmware, which govmm drops as invalid) is an error here.
/// - Kata's note that OVMF firmware gets a `pcie-pci-bridge` behind a
///   `pcie-root-port` is not in its code: every form uses the `pci-bridge`
///   Kata's `genericAppendBridges` emits.
///
/// Confidential guests: the technology comes from the host
/// (``SandboxPlan/Host/guestProtection``), not from the file, as in Kata: TDX,
/// else SEV-SNP (plain SEV when `sev_snp_guest` is not true), else SEV. They
/// get `kernel_irqchip=split` and `confidential-guest-support=`, static
/// `-m`/`-smp` (no hot-plug), no virtio-rng, the image on virtio-blk, and the
/// firmware as `-bios` (SEV: a read-only pflash drive).
public enum QEMUCommandLine {
    /// The whole argv, argv[0] being `configuration.path`.
    /// - Throws: ``QEMUCommandLineError`` naming the key (or plan field) at fault.
    public static func arguments(for configuration: HypervisorConfiguration, plan: SandboxPlan)
        throws(QEMUCommandLineError) -> [String]
    {
        let layout = try Layout(configuration: configuration, plan: plan)
        return layout.arguments()
    }
}
