/// `[hypervisor.qemu]`: the VM, its guest assets, CPUs, memory and devices.
///
/// Property names are Kata's keys in camel case; each documents its key. The
/// defaults are what Kata uses when the key is absent (amd64, prefix `/usr`).
public struct HypervisorConfiguration: Sendable, Equatable {
    // MARK: Assets

    /// `path`: the QEMU binary.
    public var path = "/usr/bin/qemu-system-x86_64"
    /// `kernel`: the guest kernel.
    public var kernel = "/usr/share/kata-containers/vmlinuz.container"
    /// `image`: the guest root filesystem image (nvdimm or virtio-blk). Exclusive with `initrd`.
    public var image: String?
    /// `initrd`: the guest initramfs. Exclusive with `image`.
    public var initrd: String?
    /// `firmware`: `-bios` (OVMF/TDVF for confidential guests); empty for QEMU's own.
    public var firmware = ""
    /// `firmware_volume`: the UEFI variables part of a split firmware.
    public var firmwareVolume = ""
    /// `pflashes`: images passed with `-pflash`.
    public var pflashes: [String] = []
    /// `rootfs_type`
    public var rootfsType: RootfsType = .ext4

    // MARK: Machine

    /// `machine_type`: QEMU machine (`q35`).
    public var machineType = "q35"
    /// `machine_accelerators`: extra `-machine` options, comma separated, blanks trimmed.
    public var machineAccelerators = ""
    /// `cpu_features`: appended to `-cpu host,` (or `-cpu max,` with TCG), comma separated.
    public var cpuFeatures = ""
    /// `accelerator` (ours): KVM or TCG.
    public var accelerator: Accelerator = .kvm
    /// `agent_channel` (ours): vhost-vsock or virtio-serial.
    public var agentChannel: AgentChannel = .vsock

    // MARK: Kernel command line

    /// `kernel_params`, split into words (double quotes keep blanks inside a word).
    public var kernelParams: [String] = []
    /// `kernel_verity_params`: `root_hash=..,salt=..,data_blocks=..,data_block_size=..,hash_block_size=..`
    /// to boot the image through dm-verity; empty for none.
    public var kernelVerityParams = ""

    // MARK: CPUs and memory

    /// `default_vcpus`: vCPUs at boot; fractions count when adding the
    /// workload's CPUs. 0 means 1; negative or more than the host has means
    /// all host CPUs (resolved by ``SandboxSizing``).
    public var defaultVCPUs: Double = 1
    /// `default_maxvcpus`: 0 means the host's CPU count, capped at 240.
    public var defaultMaxVCPUs: UInt32 = 0
    /// `default_memory` (MiB). Below 256 the file's value is replaced by 2048, as in Kata.
    public var defaultMemoryMiB: UInt32 = 2048
    /// `memory_slots`: 0 means 10.
    public var memorySlots: UInt32 = 10
    /// `default_maxmemory` (MiB): 0 means the host's memory.
    public var defaultMaxMemoryMiB: UInt64 = 0
    /// `memory_offset` (MiB) added to `maxmem` for nvdimm block devices.
    public var memoryOffsetMiB: UInt64 = 0
    /// `enable_virtio_mem`
    public var enableVirtioMem = false
    /// `enable_mem_prealloc`
    public var enableMemPrealloc = false
    /// `enable_hugepages`
    public var enableHugepages = false
    /// `file_mem_backend`
    public var fileMemBackend = ""
    /// `reclaim_guest_freed_memory`
    public var reclaimGuestFreedMemory = false

    // MARK: Devices

    /// `default_bridges`: 0 means 1, more than 5 means 5.
    public var defaultBridges: UInt32 = 1
    /// `shared_fs`
    public var sharedFS: SharedFilesystem = .virtioFS
    /// `virtio_fs_daemon`
    public var virtioFSDaemon = ""
    /// `virtio_fs_extra_args`
    public var virtioFSExtraArgs: [String] = []
    /// `virtio_fs_cache`
    public var virtioFSCache = "auto"
    /// `virtio_fs_cache_size` (MiB of DAX window; 0 for none).
    public var virtioFSCacheSize: UInt32 = 0
    /// `virtio_fs_queue_size`: 0 means 1024.
    public var virtioFSQueueSize: UInt32 = 1024
    /// `msize_9p`: 0 means 8192.
    public var msize9p: UInt32 = 8192
    /// `disable_image_nvdimm`: boot the image from virtio-blk instead of nvdimm.
    public var disableImageNvdimm = false
    /// `block_device_driver`: `virtio-scsi`, `virtio-blk`, `virtio-mmio`, `nvdimm` or `virtio-blk-ccw`.
    public var blockDeviceDriver = "virtio-scsi"
    /// `block_device_aio`: `io_uring`, `native` or `threads`.
    public var blockDeviceAIO = "io_uring"
    /// `block_device_cache_set`
    public var blockDeviceCacheSet = false
    /// `block_device_cache_direct`
    public var blockDeviceCacheDirect = false
    /// `block_device_cache_noflush`
    public var blockDeviceCacheNoflush = false
    /// `disable_block_device_use`: never hand a block-device rootfs to the VM.
    public var disableBlockDeviceUse = false
    /// `enable_iothreads`
    public var enableIOThreads = false
    /// `entropy_source`: backs virtio-rng.
    public var entropySource = "/dev/urandom"
    /// `use_legacy_serial`: `console=ttyS0` instead of virtio consoles.
    public var useLegacySerial = false
    /// `enable_iommu`: a vIOMMU, and `intel_iommu=on iommu=pt`.
    public var enableIOMMU = false
    /// `enable_iommu_platform`
    public var enableIOMMUPlatform = false
    /// `disable_vhost_net`
    public var disableVhostNet = false
    /// `hot_plug_vfio`: `no-port`, `bridge-port`, `root-port` or `switch-port`.
    public var hotPlugVFIO = "no-port"
    /// `cold_plug_vfio`: as `hot_plug_vfio`.
    public var coldPlugVFIO = "no-port"
    /// `pcie_root_port`
    public var pcieRootPort: UInt32 = 0
    /// `pcie_switch_port`
    public var pcieSwitchPort: UInt32 = 0

    // MARK: Confidential computing

    /// `confidential_guest`: TDX or SEV(-SNP), chosen from the host.
    public var confidentialGuest = false
    /// `sev_snp_guest`: SEV-SNP rather than plain SEV on AMD hosts.
    public var sevSnpGuest = false
    /// `snp_guest_policy`: nil means QEMU's default (0x30000).
    public var snpGuestPolicy: UInt64?
    /// `snp_id_block` (base64); set together with `snp_id_auth`.
    public var snpIDBlock = ""
    /// `snp_id_auth` (base64); set together with `snp_id_block`.
    public var snpIDAuth = ""
    /// `tdx_quote_generation_service_socket_port`: 0 means the QGS unix
    /// socket when present, else vsock port 4050.
    public var tdxQuoteGenerationServiceSocketPort: UInt32 = 0

    // MARK: Security and debugging

    /// `disable_guest_selinux`: `selinux=0` on the kernel command line.
    public var disableGuestSELinux = true
    /// `disable_selinux`: no SELinux label on the QEMU process.
    public var disableSELinux = false
    /// `seccompsandbox`: QEMU's `-sandbox` options; empty for none.
    public var seccompSandbox = ""
    /// `rootless`
    public var rootless = false
    /// `enable_debug`: debug kernel parameters and a QEMU debug name.
    public var enableDebug = false
    /// `extra_monitor_socket`: `hmp`, `qmp`, `qmp-pretty` or empty.
    public var extraMonitorSocket = ""
    /// `disable_nesting_checks`
    public var disableNestingChecks = false
    /// `guest_hook_path`: OCI hooks inside the guest image.
    public var guestHookPath = ""
    /// `guest_memory_dump_path`
    public var guestMemoryDumpPath = ""

    // MARK: Annotations

    /// `enable_annotations`: regular expressions for the
    /// `io.katacontainers.config.hypervisor.<name>` annotations a pod may set
    /// (see ``SandboxAnnotations``).
    public var enableAnnotations: [String] = []
    /// `valid_hypervisor_paths`: globs a `path` annotation must match.
    public var validHypervisorPaths: [String] = []
    /// `valid_virtio_fs_daemon_paths`: globs a `virtio_fs_daemon` annotation must match.
    public var validVirtioFSDaemonPaths: [String] = []
    /// `valid_entropy_sources`: globs an `entropy_source` annotation must match.
    public var validEntropySources: [String] = []
    /// `valid_file_mem_backends`: globs a `file_mem_backend` annotation must match.
    public var validFileMemBackends: [String] = []

    public init() {}
}
