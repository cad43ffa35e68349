import KataConfig

/// Everything about one sandbox's VM that is decided at run time or read from
/// the host, so that ``QEMUCommandLine/arguments(for:plan:)`` stays a pure
/// function of the configuration and this plan.
///
/// Descriptor numbers in a plan (`qmpDescriptor`, the vhost-vsock descriptor,
/// tap and vhost-net descriptors) are the numbers QEMU sees: the launcher maps
/// its own descriptors onto them (``VirtualMachine/Launch/descriptors``). Kata
/// numbers them from 3 in the order it registers them: the QMP listener, the
/// vhost-vsock descriptor, then for each network the vhost-net descriptors and
/// the tap descriptors.
public struct SandboxPlan: Sendable, Equatable {
    /// The sandbox id (`-name sandbox-<id>`).
    public var sandboxID: String
    /// The VM's UUID (`-uuid`), random per sandbox in Kata.
    public var uuid: String
    /// The VM's own directory, `/run/vc/vm/<sandbox id>` in Kata: the console
    /// socket, the pidfile and (by default) the virtio-fs and agent sockets live there.
    public var runDirectory: String

    // MARK: Sizing (see SandboxSizing)

    /// vCPUs at boot (`-smp <n>`).
    public var vcpus: UInt32
    /// The vCPU ceiling (`sockets=`, `maxcpus=`; unused by confidential guests).
    public var maxVCPUs: UInt32
    /// Memory at boot, MiB (`-m <n>M`).
    public var memoryMiB: UInt32
    /// Memory ceiling for hot-plug, MiB, before Kata's margins (`maxmem=` is
    /// this + `memory_offset` + 1024; unused by confidential guests).
    public var maxMemoryMiB: UInt64
    /// Memory hot-plug slots (`slots=`); 0 means 10, as in Kata.
    public var memorySlots: UInt32

    /// The guest kernel command line (`-append`), composed by the caller with
    /// ``KernelCommandLine`` from the same configuration.
    public var kernelParameters: [KernelParameter]

    // MARK: Devices

    /// How the shim reaches the agent; must match `agent_channel`.
    public var agent: AgentTransport
    /// The QMP listener's descriptor in QEMU (`-qmp unix:fd=<n>,server=on,wait=off`).
    public var qmpDescriptor: Int32 = 3
    /// The shared file system device; must match `shared_fs`.
    public var sharedFilesystem: SharedFilesystemDevice = .none
    /// Network endpoints cold-plugged at boot, in order (`network-0`, `network-1`, ...).
    public var networks: [NetworkTap] = []
    /// The initdata disk (`cc_init_data`), when the pod carries one.
    public var initData: InitDataDisk?
    /// The size in bytes of the `image` file: the nvdimm's `size=` (Kata stats the file).
    public var imageSize: UInt64 = 0
    /// 16 lowercase hex digits, random in Kata: the virtio-blk image drive is
    /// `image-<id>`. Needed only when the image goes on virtio-blk.
    public var imageDriveID: String = ""

    /// What the host offers confidential guests, and whether it is itself a VM.
    public var host: Host = Host()
    /// Debug on top of `hypervisor.qemu.enable_debug` (for example the
    /// runtime's `enable_debug`): `-name ...,debug-threads=on` and the extra
    /// monitor socket.
    public var debug = false

    /// A plan with the required fields; the others start empty (no share,
    /// no network, no initdata) and QMP on descriptor 3.
    public init(
        sandboxID: String, uuid: String, runDirectory: String,
        vcpus: UInt32, maxVCPUs: UInt32, memoryMiB: UInt32, maxMemoryMiB: UInt64, memorySlots: UInt32,
        kernelParameters: [KernelParameter], agent: AgentTransport
    ) {
        self.sandboxID = sandboxID
        self.uuid = uuid
        self.runDirectory = runDirectory
        self.vcpus = vcpus
        self.maxVCPUs = maxVCPUs
        self.memoryMiB = memoryMiB
        self.maxMemoryMiB = maxMemoryMiB
        self.memorySlots = memorySlots
        self.kernelParameters = kernelParameters
        self.agent = agent
    }

    /// A plan sized by ``SandboxSizing``.
    public init(
        sandboxID: String, uuid: String, runDirectory: String, sizing: SandboxSizing,
        kernelParameters: [KernelParameter], agent: AgentTransport
    ) {
        self.init(
            sandboxID: sandboxID, uuid: uuid, runDirectory: runDirectory,
            vcpus: sizing.vcpus, maxVCPUs: sizing.maxVCPUs, memoryMiB: sizing.memoryMiB,
            maxMemoryMiB: sizing.maxMemoryMiB, memorySlots: sizing.memorySlots,
            kernelParameters: kernelParameters, agent: agent)
    }

    // MARK: Paths in the run directory (Kata's names)

    /// The console chardev's socket, `console.sock`.
    public var consoleSocketPath: String { runDirectory + "/console.sock" }
    /// QEMU's `-pidfile`, `pid`.
    public var pidFilePath: String { runDirectory + "/pid" }
    /// Where the launcher creates the QMP listener, `qmp.sock` (QEMU gets the descriptor).
    public var qmpSocketPath: String { runDirectory + "/qmp.sock" }
    /// The debug-only extra monitor, `extra-monitor.sock`.
    public var extraMonitorSocketPath: String { runDirectory + "/extra-monitor.sock" }
    /// virtiofsd's vhost-user socket, `vhost-fs.sock`.
    public var virtioFSSocketPath: String { runDirectory + "/vhost-fs.sock" }
    /// The agent's virtio-serial socket, `agent.sock` (ours: Kata has no such channel today).
    public var agentSerialSocketPath: String { runDirectory + "/agent.sock" }
}
