/// The CPU and memory a sandbox's workload asks for: from the CRI
/// annotations for a pod, or from the spec's `linux.resources` for a single
/// container (ctr, nerdctl), as Kata takes them.
public struct WorkloadResources: Sendable, Equatable {
    /// CFS quota in µs per period; negative means unlimited.
    public var cpuQuota: Int64
    /// CFS period in µs; 0 means none.
    public var cpuPeriod: UInt64
    /// CPU shares (1024 per CPU); used only when the quota is unlimited.
    public var cpuShares: UInt64
    /// Memory limit in bytes; negative means unlimited.
    public var memoryLimitBytes: Int64
    /// Values that could not be read and counted as 0, as Kata does (with a log line).
    public var warnings: [String] = []

    public init(cpuQuota: Int64 = 0, cpuPeriod: UInt64 = 0, cpuShares: UInt64 = 0, memoryLimitBytes: Int64 = 0) {
        self.cpuQuota = cpuQuota
        self.cpuPeriod = cpuPeriod
        self.cpuShares = cpuShares
        self.memoryLimitBytes = memoryLimitBytes
    }

    /// From a pod sandbox's CRI annotations; absent ones count as 0.
    public init(criAnnotations annotations: [String: String]) {
        self.init()
        func read<T: FixedWidthInteger>(_ key: String, as: T.Type) -> T {
            guard let text = annotations[key] else { return 0 }
            guard let value = T(text) else {
                warnings.append("\(key): \(TOMLNode.quoted(text)) is not an integer; counted as 0")
                return 0
            }
            return value
        }
        cpuPeriod = read(CRIAnnotations.sandboxCPUPeriod, as: UInt64.self)
        cpuQuota = read(CRIAnnotations.sandboxCPUQuota, as: Int64.self)
        cpuShares = read(CRIAnnotations.sandboxCPUShares, as: UInt64.self)
        memoryLimitBytes = read(CRIAnnotations.sandboxMemory, as: Int64.self)
    }

    /// vCPUs, possibly fractional: quota / period; with an unlimited quota,
    /// shares / 1024 rounded up; else 0.
    public var vcpus: Double {
        if cpuQuota >= 0 && cpuPeriod != 0 { return Double(cpuQuota) / Double(cpuPeriod) }
        if cpuQuota < 0 && cpuShares > 0 { return (Double(cpuShares) / 1024).rounded(.up) }
        return 0
    }

    /// Whole MiB of the memory limit (rounded down); 0 when unlimited.
    public var memoryMiB: UInt32 {
        memoryLimitBytes <= 0 ? 0 : UInt32(clamping: memoryLimitBytes / (1024 * 1024))
    }
}
