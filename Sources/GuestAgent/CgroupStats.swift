import Files
import Glibc
import Protocols

/// The cgroup figures of a container, read from the cgroups of its init
/// process (`/proc/<pid>/cgroup`), on cgroup v2 (the guest) or v1 (hosts that
/// still use it).
struct CgroupStats {
    /// Controller → directory, from /proc/<pid>/cgroup.
    let directories: [String: String]
    let unified: String?

    init(pid: pid_t, cgroupRoot: String = "/sys/fs/cgroup") throws {
        let text = try readTextFile("/proc/\(pid)/cgroup")
        var directories: [String: String] = [:]
        var unified: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[1].isEmpty {
                unified = cgroupRoot + (Self.isPureV2(cgroupRoot) ? "" : "/unified") + path
            } else {
                for controller in parts[1].split(separator: ",") {
                    directories[String(controller)] = "\(cgroupRoot)/\(controller)\(path)"
                }
            }
        }
        self.directories = directories
        self.unified = unified
    }

    static func isPureV2(_ root: String) -> Bool {
        access(root + "/cgroup.controllers", F_OK) == 0
    }

    /// v2 when the memory controller is not a v1 hierarchy.
    var isV2: Bool { directories["memory"] == nil }

    func read(_ directory: String?, _ file: String) -> String? {
        guard let directory else { return nil }
        return try? readTextFile(directory + "/" + file)
    }

    func number(_ directory: String?, _ file: String) -> UInt64? {
        guard let text = read(directory, file)?.split(separator: "\n").first else { return nil }
        if text == "max" { return UInt64.max }
        return UInt64(text.trimmingCharacters(in: " "))
    }

    /// "key value" lines as a dictionary.
    func keyed(_ directory: String?, _ file: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in read(directory, file)?.split(separator: "\n") ?? [] {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = UInt64(fields[1]) { result[String(fields[0])] = value }
        }
        return result
    }

    func stats() -> Grpc_CgroupStats {
        var stats = Grpc_CgroupStats()
        if isV2 {
            let cpu = keyed(unified, "cpu.stat")
            stats.cpuStats.cpuUsage.totalUsage = (cpu["usage_usec"] ?? 0) * 1000
            stats.cpuStats.cpuUsage.usageInUsermode = (cpu["user_usec"] ?? 0) * 1000
            stats.cpuStats.cpuUsage.usageInKernelmode = (cpu["system_usec"] ?? 0) * 1000
            stats.cpuStats.throttlingData.periods = cpu["nr_periods"] ?? 0
            stats.cpuStats.throttlingData.throttledPeriods = cpu["nr_throttled"] ?? 0
            stats.cpuStats.throttlingData.throttledTime = (cpu["throttled_usec"] ?? 0) * 1000
            let memory = keyed(unified, "memory.stat")
            stats.memoryStats.usage.usage = number(unified, "memory.current") ?? 0
            stats.memoryStats.usage.maxUsage = number(unified, "memory.peak") ?? 0
            stats.memoryStats.usage.limit = number(unified, "memory.max") ?? UInt64.max
            stats.memoryStats.usage.failcnt = keyed(unified, "memory.events")["max"] ?? 0
            stats.memoryStats.swapUsage.usage = number(unified, "memory.swap.current") ?? 0
            stats.memoryStats.swapUsage.limit = number(unified, "memory.swap.max") ?? 0
            stats.memoryStats.cache = memory["file"] ?? 0
            stats.memoryStats.useHierarchy = true
            stats.memoryStats.stats = memory
            stats.pidsStats.current = number(unified, "pids.current") ?? 0
            stats.pidsStats.limit = number(unified, "pids.max") ?? 0
            for line in read(unified, "io.stat")?.split(separator: "\n") ?? [] {
                let fields = line.split(separator: " ")
                guard let device = fields.first?.split(separator: ":"), device.count == 2,
                      let major = UInt64(device[0]), let minor = UInt64(device[1]) else { continue }
                for field in fields.dropFirst() {
                    let pair = field.split(separator: "=")
                    guard pair.count == 2, let value = UInt64(pair[1]) else { continue }
                    let entry = Grpc_BlkioStatsEntry.with { $0.major = major; $0.minor = minor; $0.value = value; $0.op = String(pair[0]) }
                    if pair[0].hasSuffix("bytes") { stats.blkioStats.ioServiceBytesRecursive.append(entry) } else { stats.blkioStats.ioServicedRecursive.append(entry) }
                }
            }
        } else {
            let cpuacct = directories["cpuacct"]
            stats.cpuStats.cpuUsage.totalUsage = number(cpuacct, "cpuacct.usage") ?? 0
            stats.cpuStats.cpuUsage.percpuUsage = (read(cpuacct, "cpuacct.usage_percpu") ?? "").split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: "\n")) }
            let ticks = keyed(cpuacct, "cpuacct.stat")
            let nanosPerTick = UInt64(1_000_000_000 / max(sysconf(Int32(_SC_CLK_TCK)), 1))
            stats.cpuStats.cpuUsage.usageInUsermode = (ticks["user"] ?? 0) * nanosPerTick
            stats.cpuStats.cpuUsage.usageInKernelmode = (ticks["system"] ?? 0) * nanosPerTick
            let throttling = keyed(directories["cpu"], "cpu.stat")
            stats.cpuStats.throttlingData.periods = throttling["nr_periods"] ?? 0
            stats.cpuStats.throttlingData.throttledPeriods = throttling["nr_throttled"] ?? 0
            stats.cpuStats.throttlingData.throttledTime = throttling["throttled_time"] ?? 0
            let memory = directories["memory"]
            stats.memoryStats.usage.usage = number(memory, "memory.usage_in_bytes") ?? 0
            stats.memoryStats.usage.maxUsage = number(memory, "memory.max_usage_in_bytes") ?? 0
            stats.memoryStats.usage.limit = number(memory, "memory.limit_in_bytes") ?? 0
            stats.memoryStats.usage.failcnt = number(memory, "memory.failcnt") ?? 0
            stats.memoryStats.kernelUsage.usage = number(memory, "memory.kmem.usage_in_bytes") ?? 0
            let memoryStat = keyed(memory, "memory.stat")
            stats.memoryStats.cache = memoryStat["cache"] ?? 0
            stats.memoryStats.useHierarchy = number(memory, "memory.use_hierarchy") == 1
            stats.memoryStats.stats = memoryStat
            stats.pidsStats.current = number(directories["pids"], "pids.current") ?? 0
            stats.pidsStats.limit = number(directories["pids"], "pids.max") ?? 0
        }
        return stats
    }

    /// How many times the kernel's OOM killer has killed in this cgroup.
    func oomKills() -> UInt64 {
        if isV2 { return keyed(unified, "memory.events")["oom_kill"] ?? 0 }
        return keyed(directories["memory"], "memory.oom_control")["oom_kill"] ?? 0
    }

    /// The memory limit in bytes (for Update tests and Stats).
    func memoryLimit() -> UInt64? {
        isV2 ? number(unified, "memory.max") : number(directories["memory"], "memory.limit_in_bytes")
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return s
    }
}
