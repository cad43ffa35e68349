import Glibc

/// What the host offers that a configuration may ask for. Tests build it by
/// hand; ``probe()`` reads this host.
///
/// The fields added after the first four have defaults that describe a host
/// on which they raise no problem (vhost-net present, nothing else known),
/// so that callers written before them keep their meaning.
public struct HostFacts: Sendable, Equatable {
    /// The state of KVM on the host.
    public enum KVM: Sendable, Equatable {
        /// No `/dev/kvm`.
        case absent
        case usable
        /// `/dev/kvm` exists but cannot boot a stock guest kernel; the reason says why.
        case unusable(reason: String)
    }

    /// The CPU's hardware virtualization, from the flags of `/proc/cpuinfo`.
    public enum CPUVirtualization: String, Sendable, Equatable {
        /// Not read (hand-built facts) or `/proc/cpuinfo` unreadable.
        case unknown
        /// Neither `vmx` nor `svm`: KVM cannot use hardware virtualization.
        case none
        /// Intel VT-x.
        case vmx
        /// AMD-V.
        case svm
    }

    public var kvm: KVM
    public var hasVhostVsock: Bool
    /// Online CPUs (the limit for `default_vcpus` and `default_maxvcpus`).
    public var cpuCount: UInt32
    /// Physical memory in MiB (what `default_maxmemory = 0` means).
    public var memoryMiB: UInt64
    /// `/dev/vhost-net` exists (virtio-net in the kernel, unless `disable_vhost_net`).
    public var hasVhostNet: Bool
    public var cpuVirtualization: CPUVirtualization
    /// KVM offers TDX: `/sys/module/kvm_intel/parameters/tdx` is `Y` or `1`.
    public var hasTDX: Bool
    /// KVM offers SEV-SNP: `/sys/module/kvm_amd/parameters/sev_snp` is `Y` or `1`.
    public var hasSEVSNP: Bool
    /// KVM offers plain SEV: `/sys/module/kvm_amd/parameters/sev` is `Y` or `1`.
    public var hasSEV: Bool
    /// The host is itself a VM (the `hypervisor` CPU flag).
    public var nested: Bool

    public init(kvm: KVM, hasVhostVsock: Bool, cpuCount: UInt32, memoryMiB: UInt64,
                hasVhostNet: Bool = true, cpuVirtualization: CPUVirtualization = .unknown,
                hasTDX: Bool = false, hasSEVSNP: Bool = false, hasSEV: Bool = false, nested: Bool = false) {
        self.kvm = kvm
        self.hasVhostVsock = hasVhostVsock
        self.cpuCount = cpuCount
        self.memoryMiB = memoryMiB
        self.hasVhostNet = hasVhostNet
        self.cpuVirtualization = cpuVirtualization
        self.hasTDX = hasTDX
        self.hasSEVSNP = hasSEVSNP
        self.hasSEV = hasSEV
        self.nested = nested
    }

    /// This host: `/dev/kvm` (unusable when the loaded module is `kvm_pvm`,
    /// which runs guests on paravirtual page tables and does not boot a
    /// stock kernel), `/dev/vhost-vsock`, `/dev/vhost-net`, the online CPUs
    /// and the memory, the CPU flags, and KVM's TDX and SEV parameters.
    public static func probe() -> HostFacts {
        let kvm: KVM
        if access("/dev/kvm", F_OK) != 0 {
            kvm = .absent
        } else if access("/sys/module/kvm_pvm", F_OK) == 0 {
            kvm = .unusable(reason: "the loaded KVM module is kvm_pvm, which does not boot a stock kernel")
        } else {
            kvm = .usable
        }
        let cpus = UInt32(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let pages = UInt64(max(0, sysconf(Int32(_SC_PHYS_PAGES))))
        let pageSize = UInt64(max(0, sysconf(Int32(_SC_PAGESIZE))))
        let flags = cpuFlags(cpuinfo: readText("/proc/cpuinfo"))
        return HostFacts(
            kvm: kvm, hasVhostVsock: access("/dev/vhost-vsock", F_OK) == 0,
            cpuCount: cpus, memoryMiB: pages * pageSize / (1024 * 1024),
            hasVhostNet: access("/dev/vhost-net", F_OK) == 0,
            cpuVirtualization: cpuVirtualization(flags: flags),
            hasTDX: isEnabled(parameter: readText("/sys/module/kvm_intel/parameters/tdx")),
            hasSEVSNP: isEnabled(parameter: readText("/sys/module/kvm_amd/parameters/sev_snp")),
            hasSEV: isEnabled(parameter: readText("/sys/module/kvm_amd/parameters/sev")),
            nested: flags?.contains("hypervisor") ?? false)
    }

    /// The flags of the first processor in `/proc/cpuinfo` text; nil without text or flags.
    static func cpuFlags(cpuinfo: String?) -> Set<Substring>? {
        guard let cpuinfo else { return nil }
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " "))
        }
        return nil
    }

    static func cpuVirtualization(flags: Set<Substring>?) -> CPUVirtualization {
        guard let flags else { return .unknown }
        if flags.contains("vmx") { return .vmx }
        if flags.contains("svm") { return .svm }
        return .none
    }

    /// A kernel module's boolean parameter: `Y` (bool) or `1` (int) means on,
    /// as Kata reads them; a missing file (module not loaded) means off.
    static func isEnabled(parameter text: String?) -> Bool {
        guard let first = text?.first else { return false }
        return first == "Y" || first == "y" || first == "1"
    }

    private static func readText(_ path: String) -> String? {
        guard case .success(let bytes) = FileSystem.read(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
