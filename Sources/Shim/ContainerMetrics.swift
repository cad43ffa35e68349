import Protocols
import SwiftProtobuf

/// A container's figures from the agent (`StatsContainer`) as containerd's
/// cgroup metrics, for the Task service's Stats: `ctr task metrics` and the
/// CRI plugin decode them by the host's cgroup mode, as they do for runc.
///
/// The mapping is Kata's Go shim's (containerd-shim-v2/metrics.go), except
/// that v2 user and system time are not swapped, v2 I/O keeps one entry per
/// device, and memory figures are found under either cgroup version's
/// `memory.stat` names: the guest's cgroup mode need not be the host's.
public enum ContainerMetrics {
    /// The metrics in a `google.protobuf.Any`: `io.containerd.cgroups.v1.Metrics`
    /// or, on a cgroup v2 host, `io.containerd.cgroups.v2.Metrics`.
    public static func any(from stats: Grpc_StatsContainerResponse, hostCgroupV2: Bool) throws -> Google_Protobuf_Any {
        hostCgroupV2 ? try wrap(v2(from: stats)) : try wrap(v1(from: stats))
    }

    /// containerd's cgroup v1 metrics.
    public static func v1(from stats: Grpc_StatsContainerResponse) -> Io_Containerd_Cgroups_V1_Metrics {
        var metrics = Io_Containerd_Cgroups_V1_Metrics()
        if stats.hasCgroupStats {
            let cgroup = stats.cgroupStats
            metrics.hugetlb = cgroup.hugetlbStats.sorted { $0.key < $1.key }.map { size, entry in
                .with {
                    $0.usage = entry.usage
                    $0.max = entry.maxUsage
                    $0.failcnt = entry.failcnt
                    $0.pagesize = size
                }
            }
            metrics.pids.current = cgroup.pidsStats.current
            metrics.pids.limit = cgroup.pidsStats.limit
            metrics.cpu = v1CPU(cgroup.cpuStats)
            metrics.memory = v1Memory(cgroup.memoryStats)
            metrics.blkio = v1Blkio(cgroup.blkioStats)
        }
        metrics.network = stats.networkStats.map { network in
            .with {
                $0.name = network.name
                $0.rxBytes = network.rxBytes
                $0.rxPackets = network.rxPackets
                $0.rxErrors = network.rxErrors
                $0.rxDropped = network.rxDropped
                $0.txBytes = network.txBytes
                $0.txPackets = network.txPackets
                $0.txErrors = network.txErrors
                $0.txDropped = network.txDropped
            }
        }
        return metrics
    }

    /// containerd's cgroup v2 metrics.
    public static func v2(from stats: Grpc_StatsContainerResponse) -> Io_Containerd_Cgroups_V2_Metrics {
        var metrics = Io_Containerd_Cgroups_V2_Metrics()
        if stats.hasCgroupStats {
            let cgroup = stats.cgroupStats
            metrics.hugetlb = cgroup.hugetlbStats.sorted { $0.key < $1.key }.map { size, entry in
                .with {
                    $0.current = entry.usage
                    $0.max = entry.maxUsage
                    $0.pagesize = size
                }
            }
            metrics.pids.current = cgroup.pidsStats.current
            metrics.pids.limit = cgroup.pidsStats.limit
            let cpu = cgroup.cpuStats
            metrics.cpu = .with {
                $0.usageUsec = cpu.cpuUsage.totalUsage / 1000
                $0.userUsec = cpu.cpuUsage.usageInUsermode / 1000
                $0.systemUsec = cpu.cpuUsage.usageInKernelmode / 1000
                $0.nrPeriods = cpu.throttlingData.periods
                $0.nrThrottled = cpu.throttlingData.throttledPeriods
                $0.throttledUsec = cpu.throttlingData.throttledTime / 1000
            }
            metrics.memory = v2Memory(cgroup.memoryStats)
            metrics.io.usage = v2IO(cgroup.blkioStats)
        }
        metrics.network = stats.networkStats.map { network in
            .with {
                $0.name = network.name
                $0.rxBytes = network.rxBytes
                $0.rxPackets = network.rxPackets
                $0.rxErrors = network.rxErrors
                $0.rxDropped = network.rxDropped
                $0.txBytes = network.txBytes
                $0.txPackets = network.txPackets
                $0.txErrors = network.txErrors
                $0.txDropped = network.txDropped
            }
        }
        return metrics
    }

    /// The bare message name as type URL, as containerd's typeurl writes it:
    /// containerd 1.6 looks type URLs up without stripping a prefix.
    static func wrap(_ message: any SwiftProtobuf.Message) throws -> Google_Protobuf_Any {
        var any = Google_Protobuf_Any()
        any.typeURL = type(of: message).protoMessageName
        any.value = try message.serializedBytes()
        return any
    }

    // MARK: cgroup v1

    static func v1CPU(_ cpu: Grpc_CpuStats) -> Io_Containerd_Cgroups_V1_CPUStat {
        .with {
            $0.usage.total = cpu.cpuUsage.totalUsage
            $0.usage.kernel = cpu.cpuUsage.usageInKernelmode
            $0.usage.user = cpu.cpuUsage.usageInUsermode
            $0.usage.perCpu = cpu.cpuUsage.percpuUsage
            $0.throttling.periods = cpu.throttlingData.periods
            $0.throttling.throttledPeriods = cpu.throttlingData.throttledPeriods
            $0.throttling.throttledTime = cpu.throttlingData.throttledTime
        }
    }

    static func v1Memory(_ memory: Grpc_MemoryStats) -> Io_Containerd_Cgroups_V1_MemoryStat {
        let stat = MemoryStatNames(memory.stats)
        func entry(_ data: Grpc_MemoryData) -> Io_Containerd_Cgroups_V1_MemoryEntry {
            .with {
                $0.limit = data.limit
                $0.usage = data.usage
                $0.max = data.maxUsage
                $0.failcnt = data.failcnt
            }
        }
        return .with {
            $0.usage = entry(memory.usage)
            $0.swap = entry(memory.swapUsage)
            $0.kernel = entry(memory.kernelUsage)
            $0.cache = stat.v1("cache") ?? memory.cache
            $0.rss = stat.v1("rss") ?? 0
            $0.rssHuge = stat.v1("rss_huge") ?? 0
            $0.mappedFile = stat.v1("mapped_file") ?? 0
            $0.dirty = stat.v1("dirty") ?? 0
            $0.writeback = stat.v1("writeback") ?? 0
            $0.pgPgIn = stat.v1("pgpgin") ?? 0
            $0.pgPgOut = stat.v1("pgpgout") ?? 0
            $0.pgFault = stat.v1("pgfault") ?? 0
            $0.pgMajFault = stat.v1("pgmajfault") ?? 0
            $0.inactiveAnon = stat.v1("inactive_anon") ?? 0
            $0.activeAnon = stat.v1("active_anon") ?? 0
            $0.inactiveFile = stat.v1("inactive_file") ?? 0
            $0.activeFile = stat.v1("active_file") ?? 0
            $0.unevictable = stat.v1("unevictable") ?? 0
            $0.hierarchicalMemoryLimit = stat.v1("hierarchical_memory_limit") ?? 0
            $0.hierarchicalSwapLimit = stat.v1("hierarchical_memsw_limit") ?? 0
            // The CRI plugin's working set and RSS come from the totals; a
            // container's cgroup is a leaf, so its own figures stand in.
            $0.totalCache = stat.total("cache") ?? memory.cache
            $0.totalRss = stat.total("rss") ?? 0
            $0.totalRssHuge = stat.total("rss_huge") ?? 0
            $0.totalMappedFile = stat.total("mapped_file") ?? 0
            $0.totalDirty = stat.total("dirty") ?? 0
            $0.totalWriteback = stat.total("writeback") ?? 0
            $0.totalPgPgIn = stat.total("pgpgin") ?? 0
            $0.totalPgPgOut = stat.total("pgpgout") ?? 0
            $0.totalPgFault = stat.total("pgfault") ?? 0
            $0.totalPgMajFault = stat.total("pgmajfault") ?? 0
            $0.totalInactiveAnon = stat.total("inactive_anon") ?? 0
            $0.totalActiveAnon = stat.total("active_anon") ?? 0
            $0.totalInactiveFile = stat.total("inactive_file") ?? 0
            $0.totalActiveFile = stat.total("active_file") ?? 0
            $0.totalUnevictable = stat.total("unevictable") ?? 0
        }
    }

    static func v1Blkio(_ blkio: Grpc_BlkioStats) -> Io_Containerd_Cgroups_V1_BlkIOStat {
        func entries(_ list: [Grpc_BlkioStatsEntry]) -> [Io_Containerd_Cgroups_V1_BlkIOEntry] {
            list.map { entry in
                .with {
                    $0.op = v1Operation[entry.op] ?? entry.op
                    $0.major = entry.major
                    $0.minor = entry.minor
                    $0.value = entry.value
                }
            }
        }
        return .with {
            $0.ioServiceBytesRecursive = entries(blkio.ioServiceBytesRecursive)
            $0.ioServicedRecursive = entries(blkio.ioServicedRecursive)
            $0.ioQueuedRecursive = entries(blkio.ioQueuedRecursive)
            $0.ioServiceTimeRecursive = entries(blkio.ioServiceTimeRecursive)
            $0.ioWaitTimeRecursive = entries(blkio.ioWaitTimeRecursive)
            $0.ioMergedRecursive = entries(blkio.ioMergedRecursive)
            $0.ioTimeRecursive = entries(blkio.ioTimeRecursive)
            $0.sectorsRecursive = entries(blkio.sectorsRecursive)
        }
    }

    /// A cgroup v2 guest's io.stat keys, by the names blkio (v1) gives them.
    static let v1Operation = [
        "rbytes": "Read", "wbytes": "Write", "dbytes": "Discard", "rios": "Read", "wios": "Write", "dios": "Discard",
    ]

    // MARK: cgroup v2

    static func v2Memory(_ memory: Grpc_MemoryStats) -> Io_Containerd_Cgroups_V2_MemoryStat {
        let stat = MemoryStatNames(memory.stats)
        return .with {
            $0.usage = stat.exact("usage") ?? memory.usage.usage
            $0.usageLimit = stat.exact("usage_limit") ?? memory.usage.limit
            $0.maxUsage = memory.usage.maxUsage
            $0.swapUsage = stat.exact("swap_usage") ?? memory.swapUsage.usage
            $0.swapLimit = stat.exact("swap_limit") ?? memory.swapUsage.limit
            $0.swapMaxUsage = memory.swapUsage.maxUsage
            $0.anon = stat.v2("anon") ?? 0
            $0.file = stat.v2("file") ?? memory.cache
            $0.kernelStack = stat.v2("kernel_stack") ?? 0
            $0.slab = stat.v2("slab") ?? 0
            $0.sock = stat.v2("sock") ?? 0
            $0.shmem = stat.v2("shmem") ?? 0
            $0.fileMapped = stat.v2("file_mapped") ?? 0
            $0.fileDirty = stat.v2("file_dirty") ?? 0
            $0.fileWriteback = stat.v2("file_writeback") ?? 0
            $0.anonThp = stat.v2("anon_thp") ?? 0
            $0.inactiveAnon = stat.v2("inactive_anon") ?? 0
            $0.activeAnon = stat.v2("active_anon") ?? 0
            $0.inactiveFile = stat.v2("inactive_file") ?? 0
            $0.activeFile = stat.v2("active_file") ?? 0
            $0.unevictable = stat.v2("unevictable") ?? 0
            $0.slabReclaimable = stat.v2("slab_reclaimable") ?? 0
            $0.slabUnreclaimable = stat.v2("slab_unreclaimable") ?? 0
            $0.pgfault = stat.v2("pgfault") ?? 0
            $0.pgmajfault = stat.v2("pgmajfault") ?? 0
            $0.workingsetRefault = stat.v2("workingset_refault") ?? 0
            $0.workingsetActivate = stat.v2("workingset_activate") ?? 0
            $0.workingsetNodereclaim = stat.v2("workingset_nodereclaim") ?? 0
            $0.pgrefill = stat.v2("pgrefill") ?? 0
            $0.pgscan = stat.v2("pgscan") ?? 0
            $0.pgsteal = stat.v2("pgsteal") ?? 0
            $0.pgactivate = stat.v2("pgactivate") ?? 0
            $0.pgdeactivate = stat.v2("pgdeactivate") ?? 0
            $0.pglazyfree = stat.v2("pglazyfree") ?? 0
            $0.pglazyfreed = stat.v2("pglazyfreed") ?? 0
            $0.thpFaultAlloc = stat.v2("thp_fault_alloc") ?? 0
            $0.thpCollapseAlloc = stat.v2("thp_collapse_alloc") ?? 0
        }
    }

    /// One entry per device, in the order the devices first appear. Bytes
    /// come from the service-bytes list and operations from the serviced
    /// list, under v2 (`rbytes`, `rios`) or v1 (`Read`) names.
    static func v2IO(_ blkio: Grpc_BlkioStats) -> [Io_Containerd_Cgroups_V2_IOEntry] {
        var devices: [Io_Containerd_Cgroups_V2_IOEntry] = []
        func update(_ entry: Grpc_BlkioStatsEntry, _ change: (inout Io_Containerd_Cgroups_V2_IOEntry) -> Void) {
            if let index = devices.firstIndex(where: { $0.major == entry.major && $0.minor == entry.minor }) {
                change(&devices[index])
            } else {
                var device = Io_Containerd_Cgroups_V2_IOEntry()
                device.major = entry.major
                device.minor = entry.minor
                change(&device)
                devices.append(device)
            }
        }
        for entry in blkio.ioServiceBytesRecursive {
            switch entry.op.lowercased() {
            case "read", "rbytes": update(entry) { $0.rbytes = entry.value }
            case "write", "wbytes": update(entry) { $0.wbytes = entry.value }
            // Kata's Go shim also looks for the operation counts here.
            case "rios": update(entry) { $0.rios = entry.value }
            case "wios": update(entry) { $0.wios = entry.value }
            default: update(entry) { _ in }
            }
        }
        for entry in blkio.ioServicedRecursive {
            switch entry.op.lowercased() {
            case "read", "rios": update(entry) { $0.rios = entry.value }
            case "write", "wios": update(entry) { $0.wios = entry.value }
            default: update(entry) { _ in }
            }
        }
        return devices
    }
}

extension ContainerMetrics {
    /// `memory.stat` figures by name, whichever cgroup version the guest reported
    /// them in: v1 calls v2's `anon` `rss`, `file` `cache`, and so on.
    struct MemoryStatNames {
        let stats: [String: UInt64]

        init(_ stats: [String: UInt64]) { self.stats = stats }

        /// v1 name → v2 name, where they differ.
        static let v2ForV1 = [
            "cache": "file", "rss": "anon", "rss_huge": "anon_thp", "mapped_file": "file_mapped",
            "dirty": "file_dirty", "writeback": "file_writeback",
        ]
        static let v1ForV2 = Dictionary(uniqueKeysWithValues: v2ForV1.map { ($1, $0) })

        func exact(_ name: String) -> UInt64? { stats[name] }

        /// A v1 figure: its own name, else the v2 one.
        func v1(_ name: String) -> UInt64? {
            stats[name] ?? stats[Self.v2ForV1[name] ?? name]
        }

        /// A v1 `total_` figure, else the cgroup's own.
        func total(_ name: String) -> UInt64? {
            stats["total_" + name] ?? v1(name)
        }

        /// A v2 figure. v2 counts descendants too, as v1's `total_` figures
        /// do, so those come first; only a v1 guest reports them.
        func v2(_ name: String) -> UInt64? {
            let old = Self.v1ForV2[name] ?? name
            return stats["total_" + old] ?? stats[name] ?? stats[old]
        }
    }
}
