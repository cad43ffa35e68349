import Glibc

/// What the host offers that a configuration may ask for. Tests build it by
/// hand; ``probe()`` reads this host.
public struct HostFacts: Sendable, Equatable {
    /// The state of KVM on the host.
    public enum KVM: Sendable, Equatable {
        /// No `/dev/kvm`.
        case absent
        case usable
        /// `/dev/kvm` exists but cannot boot a stock guest kernel; the reason says why.
        case unusable(reason: String)
    }

    public var kvm: KVM
    public var hasVhostVsock: Bool
    /// Online CPUs (the limit for `default_vcpus` and `default_maxvcpus`).
    public var cpuCount: UInt32
    /// Physical memory in MiB (what `default_maxmemory = 0` means).
    public var memoryMiB: UInt64

    public init(kvm: KVM, hasVhostVsock: Bool, cpuCount: UInt32, memoryMiB: UInt64) {
        self.kvm = kvm
        self.hasVhostVsock = hasVhostVsock
        self.cpuCount = cpuCount
        self.memoryMiB = memoryMiB
    }

    /// This host: `/dev/kvm` (unusable when the loaded module is `kvm_pvm`,
    /// which runs guests on paravirtual page tables and does not boot a
    /// stock kernel), `/dev/vhost-vsock`, the online CPUs and the memory.
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
        return HostFacts(
            kvm: kvm, hasVhostVsock: access("/dev/vhost-vsock", F_OK) == 0,
            cpuCount: cpus, memoryMiB: pages * pageSize / (1024 * 1024))
    }
}
