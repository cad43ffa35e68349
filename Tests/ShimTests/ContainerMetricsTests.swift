import Protocols
import Shim
import SwiftProtobuf
import Testing

/// The agent's container stats as containerd's cgroup metrics.
@Suite struct ContainerMetricsTests {
    /// What a cgroup v2 guest reports (our agent reads memory.stat, io.stat...).
    static let v2Guest = Grpc_StatsContainerResponse.with {
        $0.cgroupStats.cpuStats.cpuUsage.totalUsage = 9_000_000
        $0.cgroupStats.cpuStats.cpuUsage.usageInUsermode = 6_000_000
        $0.cgroupStats.cpuStats.cpuUsage.usageInKernelmode = 3_000_000
        $0.cgroupStats.cpuStats.cpuUsage.percpuUsage = [5_000_000, 4_000_000]
        $0.cgroupStats.cpuStats.throttlingData.periods = 40
        $0.cgroupStats.cpuStats.throttlingData.throttledPeriods = 4
        $0.cgroupStats.cpuStats.throttlingData.throttledTime = 2_000_000
        $0.cgroupStats.memoryStats.usage.usage = 8 << 20
        $0.cgroupStats.memoryStats.usage.maxUsage = 9 << 20
        $0.cgroupStats.memoryStats.usage.limit = 128 << 20
        $0.cgroupStats.memoryStats.usage.failcnt = 2
        $0.cgroupStats.memoryStats.swapUsage.usage = 1 << 20
        $0.cgroupStats.memoryStats.swapUsage.limit = 64 << 20
        $0.cgroupStats.memoryStats.cache = 3 << 20
        $0.cgroupStats.memoryStats.useHierarchy = true
        $0.cgroupStats.memoryStats.stats = [
            "anon": 4 << 20, "file": 3 << 20, "inactive_file": 1 << 20, "active_file": 2 << 20, "file_mapped": 512 << 10,
            "shmem": 4096, "slab": 8192, "pgfault": 1000, "pgmajfault": 7, "kernel_stack": 16384,
        ]
        $0.cgroupStats.pidsStats.current = 3
        $0.cgroupStats.pidsStats.limit = 4096
        $0.cgroupStats.blkioStats.ioServiceBytesRecursive = [
            entry(254, 0, "rbytes", 4096), entry(254, 0, "wbytes", 8192), entry(254, 0, "dbytes", 0),
            entry(254, 16, "rbytes", 100),
        ]
        $0.cgroupStats.blkioStats.ioServicedRecursive = [entry(254, 0, "rios", 1), entry(254, 0, "wios", 2), entry(254, 16, "rios", 3)]
        $0.cgroupStats.hugetlbStats = [
            "2MB": .with { $0.usage = 2 << 20; $0.maxUsage = 4 << 20; $0.failcnt = 1 },
            "1GB": .with { $0.usage = 0; $0.maxUsage = 0 },
        ]
        $0.networkStats = [.with {
            $0.name = "eth0"; $0.rxBytes = 1500; $0.rxPackets = 10; $0.rxErrors = 1; $0.rxDropped = 2
            $0.txBytes = 900; $0.txPackets = 6; $0.txErrors = 3; $0.txDropped = 4
        }]
    }

    /// What a cgroup v1 guest reports (memory.stat with totals, blkio ops).
    static let v1Guest = Grpc_StatsContainerResponse.with {
        $0.cgroupStats.memoryStats.usage.usage = 10 << 20
        $0.cgroupStats.memoryStats.kernelUsage.usage = 1 << 20
        $0.cgroupStats.memoryStats.cache = 5 << 20
        $0.cgroupStats.memoryStats.stats = [
            "cache": 5 << 20, "rss": 4 << 20, "mapped_file": 1 << 20, "inactive_file": 2 << 20, "pgpgin": 50,
            "total_cache": 6 << 20, "total_rss": 5 << 20, "total_inactive_file": 3 << 20, "total_pgfault": 900,
            "pgfault": 800, "hierarchical_memory_limit": 256 << 20,
        ]
        $0.cgroupStats.blkioStats.ioServiceBytesRecursive = [entry(8, 0, "Read", 512), entry(8, 0, "Write", 1024), entry(8, 0, "Total", 1536)]
        $0.cgroupStats.blkioStats.ioServicedRecursive = [entry(8, 0, "Read", 5), entry(8, 0, "Write", 6)]
        $0.cgroupStats.blkioStats.ioTimeRecursive = [entry(8, 0, "", 77)]
    }

    static func entry(_ major: UInt64, _ minor: UInt64, _ op: String, _ value: UInt64) -> Grpc_BlkioStatsEntry {
        .with { $0.major = major; $0.minor = minor; $0.op = op; $0.value = value }
    }

    @Test func typeURLsAreBareMessageNames() throws {
        #expect(try ContainerMetrics.any(from: Self.v2Guest, hostCgroupV2: false).typeURL == "io.containerd.cgroups.v1.Metrics")
        #expect(try ContainerMetrics.any(from: Self.v2Guest, hostCgroupV2: true).typeURL == "io.containerd.cgroups.v2.Metrics")
        #expect(try ContainerMetrics.any(from: Grpc_StatsContainerResponse(), hostCgroupV2: false).typeURL
            == "io.containerd.cgroups.v1.Metrics")
    }

    @Test func v1DecodesBack() throws {
        let any = try ContainerMetrics.any(from: Self.v2Guest, hostCgroupV2: false)
        let metrics = try Io_Containerd_Cgroups_V1_Metrics(serializedBytes: any.value)
        #expect(metrics == ContainerMetrics.v1(from: Self.v2Guest))
        #expect(any.isA(Io_Containerd_Cgroups_V1_Metrics.self))
    }

    @Test func v1CPUPidsHugetlbNetwork() throws {
        let metrics = ContainerMetrics.v1(from: Self.v2Guest)
        #expect(metrics.cpu.usage.total == 9_000_000)
        #expect(metrics.cpu.usage.user == 6_000_000)
        #expect(metrics.cpu.usage.kernel == 3_000_000)
        #expect(metrics.cpu.usage.perCpu == [5_000_000, 4_000_000])
        #expect(metrics.cpu.throttling.periods == 40)
        #expect(metrics.cpu.throttling.throttledPeriods == 4)
        #expect(metrics.cpu.throttling.throttledTime == 2_000_000)
        #expect(metrics.pids.current == 3 && metrics.pids.limit == 4096)
        #expect(metrics.hugetlb.map(\.pagesize) == ["1GB", "2MB"])
        #expect(metrics.hugetlb[1].usage == 2 << 20 && metrics.hugetlb[1].max == 4 << 20 && metrics.hugetlb[1].failcnt == 1)
        #expect(metrics.network.count == 1)
        let network = metrics.network[0]
        #expect(network.name == "eth0")
        #expect([network.rxBytes, network.rxPackets, network.rxErrors, network.rxDropped] == [1500, 10, 1, 2])
        #expect([network.txBytes, network.txPackets, network.txErrors, network.txDropped] == [900, 6, 3, 4])
    }

    /// containerd's CRI plugin on a v1 host: usage from `usage.usage`, working
    /// set from `total_inactive_file`, RSS from `total_rss`, faults from the totals.
    @Test func v1MemoryFromAV2Guest() {
        let memory = ContainerMetrics.v1(from: Self.v2Guest).memory
        #expect(memory.usage.usage == 8 << 20)
        #expect(memory.usage.max == 9 << 20)
        #expect(memory.usage.limit == 128 << 20)
        #expect(memory.usage.failcnt == 2)
        #expect(memory.swap.usage == 1 << 20 && memory.swap.limit == 64 << 20)
        #expect(memory.cache == 3 << 20 && memory.totalCache == 3 << 20)
        #expect(memory.rss == 4 << 20 && memory.totalRss == 4 << 20)
        #expect(memory.inactiveFile == 1 << 20 && memory.totalInactiveFile == 1 << 20)
        #expect(memory.activeFile == 2 << 20)
        #expect(memory.mappedFile == 512 << 10 && memory.totalMappedFile == 512 << 10)
        #expect(memory.pgFault == 1000 && memory.totalPgFault == 1000)
        #expect(memory.pgMajFault == 7 && memory.totalPgMajFault == 7)
    }

    @Test func v1MemoryAndBlkioFromAV1Guest() {
        let metrics = ContainerMetrics.v1(from: Self.v1Guest)
        let memory = metrics.memory
        #expect(memory.usage.usage == 10 << 20)
        #expect(memory.kernel.usage == 1 << 20)
        #expect(memory.cache == 5 << 20 && memory.totalCache == 6 << 20)
        #expect(memory.rss == 4 << 20 && memory.totalRss == 5 << 20)
        #expect(memory.inactiveFile == 2 << 20 && memory.totalInactiveFile == 3 << 20)
        #expect(memory.pgFault == 800 && memory.totalPgFault == 900)
        #expect(memory.pgPgIn == 50)
        #expect(memory.hierarchicalMemoryLimit == 256 << 20)
        let blkio = metrics.blkio
        #expect(blkio.ioServiceBytesRecursive.map(\.op) == ["Read", "Write", "Total"])
        #expect(blkio.ioServiceBytesRecursive.map(\.value) == [512, 1024, 1536])
        #expect(blkio.ioServiceBytesRecursive.allSatisfy { $0.major == 8 && $0.minor == 0 })
        #expect(blkio.ioServicedRecursive.map(\.value) == [5, 6])
        #expect(blkio.ioTimeRecursive.first?.value == 77)
    }

    /// A v2 guest's io.stat names become blkio's on a v1 host.
    @Test func v1BlkioFromAV2Guest() {
        let blkio = ContainerMetrics.v1(from: Self.v2Guest).blkio
        #expect(blkio.ioServiceBytesRecursive.map(\.op) == ["Read", "Write", "Discard", "Read"])
        #expect(blkio.ioServicedRecursive.map(\.op) == ["Read", "Write", "Read"])
        #expect(blkio.ioServiceBytesRecursive.last?.minor == 16)
    }

    @Test func v2DecodesBack() throws {
        let any = try ContainerMetrics.any(from: Self.v2Guest, hostCgroupV2: true)
        let metrics = try Io_Containerd_Cgroups_V2_Metrics(serializedBytes: any.value)
        #expect(metrics == ContainerMetrics.v2(from: Self.v2Guest))
        #expect(any.isA(Io_Containerd_Cgroups_V2_Metrics.self))
    }

    /// cpu.stat is in microseconds; user and system stay apart.
    @Test func v2CPUPidsHugetlb() {
        let metrics = ContainerMetrics.v2(from: Self.v2Guest)
        #expect(metrics.cpu.usageUsec == 9000)
        #expect(metrics.cpu.userUsec == 6000)
        #expect(metrics.cpu.systemUsec == 3000)
        #expect(metrics.cpu.nrPeriods == 40 && metrics.cpu.nrThrottled == 4)
        #expect(metrics.cpu.throttledUsec == 2000)
        #expect(metrics.pids.current == 3 && metrics.pids.limit == 4096)
        #expect(metrics.hugetlb.map(\.pagesize) == ["1GB", "2MB"])
        #expect(metrics.hugetlb[1].current == 2 << 20 && metrics.hugetlb[1].max == 4 << 20)
        #expect(metrics.network.first?.rxBytes == 1500)
    }

    /// containerd's CRI plugin on a v2 host: working set is usage minus
    /// `inactive_file`, RSS is `anon`.
    @Test func v2Memory() {
        let memory = ContainerMetrics.v2(from: Self.v2Guest).memory
        #expect(memory.usage == 8 << 20)
        #expect(memory.usageLimit == 128 << 20)
        #expect(memory.maxUsage == 9 << 20)
        #expect(memory.swapUsage == 1 << 20 && memory.swapLimit == 64 << 20)
        #expect(memory.anon == 4 << 20 && memory.file == 3 << 20)
        #expect(memory.inactiveFile == 1 << 20 && memory.activeFile == 2 << 20)
        #expect(memory.fileMapped == 512 << 10)
        #expect(memory.shmem == 4096 && memory.slab == 8192 && memory.kernelStack == 16384)
        #expect(memory.pgfault == 1000 && memory.pgmajfault == 7)
    }

    /// From a v1 guest the v2 names are found under v1's, totals first.
    @Test func v2MemoryFromAV1Guest() {
        let memory = ContainerMetrics.v2(from: Self.v1Guest).memory
        #expect(memory.usage == 10 << 20)
        #expect(memory.anon == 5 << 20)
        #expect(memory.file == 6 << 20)
        #expect(memory.inactiveFile == 3 << 20)
        #expect(memory.pgfault == 900)
        #expect(memory.fileMapped == 1 << 20)
    }

    /// One entry per device, bytes and operations together.
    @Test func v2IO() {
        let io = ContainerMetrics.v2(from: Self.v2Guest).io.usage
        #expect(io.count == 2)
        #expect(io[0].major == 254 && io[0].minor == 0)
        #expect([io[0].rbytes, io[0].wbytes, io[0].rios, io[0].wios] == [4096, 8192, 1, 2])
        #expect(io[1].minor == 16 && io[1].rbytes == 100 && io[1].rios == 3)
        let fromV1 = ContainerMetrics.v2(from: Self.v1Guest).io.usage
        #expect(fromV1.count == 1)
        #expect([fromV1[0].rbytes, fromV1[0].wbytes, fromV1[0].rios, fromV1[0].wios] == [512, 1024, 5, 6])
    }

    /// Without cgroup figures only the network is there, as in Kata's shim.
    @Test func noCgroupStats() {
        let stats = Grpc_StatsContainerResponse.with { $0.networkStats = [.with { $0.name = "eth0" }] }
        let v1 = ContainerMetrics.v1(from: stats)
        #expect(!v1.hasCpu && !v1.hasMemory && !v1.hasPids && !v1.hasBlkio && v1.hugetlb.isEmpty)
        #expect(v1.network.map(\.name) == ["eth0"])
        let v2 = ContainerMetrics.v2(from: stats)
        #expect(!v2.hasCpu && !v2.hasMemory && !v2.hasIo)
    }

    /// Field numbers as in containerd/cgroups' metrics.proto, read off the
    /// wire without the generated types: what containerd's decoder sees.
    @Test func wireFieldNumbersAreContainerds() throws {
        let v1 = Array(try ContainerMetrics.any(from: Self.v2Guest, hostCgroupV2: false).value)
        let v1Memory = try #require(Wire.fields(v1)[4]?.first?.bytes)  // Metrics.memory = 4
        #expect(Wire.fields(v1Memory)[30]?.first?.varint == 1 << 20)  // MemoryStat.total_inactive_file = 30
        #expect(Wire.fields(v1Memory)[19]?.first?.varint == 4 << 20)  // total_rss = 19
        let v1Usage = try #require(Wire.fields(v1Memory)[33]?.first?.bytes)  // usage = 33
        #expect(Wire.fields(v1Usage)[2]?.first?.varint == 8 << 20)  // MemoryEntry.usage = 2
        let v1CPU = try #require(Wire.fields(v1)[3]?.first?.bytes)  // Metrics.cpu = 3
        let v1CPUUsage = try #require(Wire.fields(v1CPU)[1]?.first?.bytes)
        #expect(Wire.fields(v1CPUUsage)[1]?.first?.varint == 9_000_000)  // CPUUsage.total = 1

        let v2 = Array(try ContainerMetrics.any(from: Self.v2Guest, hostCgroupV2: true).value)
        let v2Memory = try #require(Wire.fields(v2)[4]?.first?.bytes)  // Metrics.memory = 4
        #expect(Wire.fields(v2Memory)[32]?.first?.varint == 8 << 20)  // MemoryStat.usage = 32
        #expect(Wire.fields(v2Memory)[13]?.first?.varint == 1 << 20)  // inactive_file = 13
        #expect(Wire.fields(v2Memory)[1]?.first?.varint == 4 << 20)  // anon = 1
        let v2CPU = try #require(Wire.fields(v2)[2]?.first?.bytes)  // Metrics.cpu = 2
        #expect(Wire.fields(v2CPU)[1]?.first?.varint == 9000)  // usage_usec = 1
    }

    /// Just enough of the protobuf wire format to read varint and
    /// length-delimited fields.
    enum Wire {
        enum Value {
            case varint(UInt64)
            case bytes([UInt8])
            var varint: UInt64? { if case .varint(let value) = self { value } else { nil } }
            var bytes: [UInt8]? { if case .bytes(let value) = self { value } else { nil } }
        }

        static func fields(_ data: [UInt8]) -> [Int: [Value]] {
            var result: [Int: [Value]] = [:]
            var index = 0
            func varint() -> UInt64 {
                var value: UInt64 = 0
                var shift: UInt64 = 0
                while index < data.count {
                    let byte = data[index]
                    index += 1
                    value |= UInt64(byte & 0x7F) << shift
                    if byte & 0x80 == 0 { break }
                    shift += 7
                }
                return value
            }
            while index < data.count {
                let key = varint()
                let number = Int(key >> 3)
                switch key & 7 {
                case 0: result[number, default: []].append(.varint(varint()))
                case 2:
                    let length = Int(varint())
                    result[number, default: []].append(.bytes(Array(data[index..<min(index + length, data.count)])))
                    index += length
                default: return result  // fixed-width types do not occur in these messages
                }
            }
            return result
        }
    }
}
