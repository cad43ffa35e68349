/// The size of a sandbox's VM at boot, from the configuration (after
/// annotations), the workload and the host, with Kata's rules:
///
/// - `default_vcpus` 0 means 1; negative, or more than the host's CPUs
///   (at most 240), means the host's CPUs;
/// - `default_maxvcpus` 0, or at least the host's CPUs, means the host's
///   CPUs, capped at 240 (QEMU's limit);
/// - `default_maxmemory` 0, or more than the host has, means the host's memory.
///
/// With `static_sandbox_resource_mgmt` (every confidential configuration)
/// the VM boots with `default_vcpus` + the workload's vCPUs (rounded up as a
/// whole) and `default_memory` + the workload's MiB, `maxVCPUs` equals the
/// boot vCPUs and nothing is hot-plugged. Otherwise the VM boots with the
/// defaults and the workload is hot-plugged later.
public struct SandboxSizing: Sendable, Equatable {
    /// vCPUs at boot (QEMU `-smp`).
    public var vcpus: UInt32
    /// The vCPU ceiling (`maxcpus=`, `nr_cpus=`).
    public var maxVCPUs: UInt32
    /// Memory at boot (QEMU `-m`), MiB.
    public var memoryMiB: UInt32
    /// Memory ceiling for hot-plug (`maxmem=` before Kata's nvdimm margin), MiB.
    public var maxMemoryMiB: UInt64
    /// Memory hot-plug slots.
    public var memorySlots: UInt32
    /// Sized once at boot, no hot-plug.
    public var staticResources: Bool
    /// What the workload asked for, fractional vCPUs.
    public var workloadVCPUs: Double
    public var workloadMemoryMiB: UInt32

    public init(configuration: KataConfiguration, workload: WorkloadResources, host: HostFacts) {
        let h = configuration.hypervisor
        let hostCPUs = max(1, host.cpuCount)
        let cpuLimit = min(hostCPUs, ConfigurationSchema.maximumVCPUs)

        var ceiling = h.defaultMaxVCPUs
        if ceiling == 0 || ceiling >= hostCPUs { ceiling = hostCPUs }
        ceiling = min(ceiling, ConfigurationSchema.maximumVCPUs)

        var base = h.defaultVCPUs
        if base < 0 || base > Double(cpuLimit) { base = Double(cpuLimit) }
        if base == 0 { base = 1 }

        var maxMemory = h.defaultMaxMemoryMiB
        if maxMemory == 0 || maxMemory > host.memoryMiB { maxMemory = host.memoryMiB }

        workloadVCPUs = workload.vcpus
        workloadMemoryMiB = workload.memoryMiB
        memorySlots = h.memorySlots
        maxMemoryMiB = maxMemory
        staticResources = configuration.runtime.staticSandboxResourceMgmt
        if staticResources {
            vcpus = UInt32(clamping: Int64((base + workloadVCPUs).rounded(.up)))
            maxVCPUs = max(1, vcpus)
            memoryMiB = UInt32(clamping: UInt64(h.defaultMemoryMiB) + UInt64(workloadMemoryMiB))
        } else {
            maxVCPUs = ceiling
            vcpus = min(UInt32(clamping: Int64(base.rounded(.up))), ceiling)
            memoryMiB = h.defaultMemoryMiB
        }
    }
}
