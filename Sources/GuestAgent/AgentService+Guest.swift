#if canImport(FoundationEssentials)
import Files
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import OCI
import Protocols

extension AgentService {
    func guestDetails(_ request: Grpc_GuestDetailsRequest) -> Grpc_GuestDetailsResponse {
        var response = Grpc_GuestDetailsResponse()
        if request.memBlockSize, let text = try? readTextFile("/sys/devices/system/memory/block_size_bytes") {
            response.memBlockSizeBytes = UInt64(text.split(separator: "\n").first ?? "", radix: 16) ?? 0
        }
        if request.memHotplugProbe {
            response.supportMemHotplugProbe = access("/sys/devices/system/memory/probe", W_OK) == 0
        }
        response.agentDetails.version = configuration.version
        response.agentDetails.initDaemon = getpid() == 1
        response.agentDetails.storageHandlers = StorageMounter.supportedDrivers
        let status = (try? readTextFile("/proc/self/status")) ?? ""
        response.agentDetails.supportsSeccomp = status.contains("Seccomp:")
        return response
    }

    func setDateTime(_ request: Grpc_SetGuestDateTimeRequest) throws {
        guard configuration.maySetClock else {
            throw AgentError(.failedPrecondition, "SetGuestDateTime: this agent does not run as a guest's init, and will not set the clock of a host")
        }
        var time = timeval(tv_sec: Int(request.sec), tv_usec: Int(request.usec))
        guard settimeofday(&time, nil) == 0 else {
            throw AgentError.failed("SetGuestDateTime \(request.sec).\(request.usec): \(String(cString: strerror(errno)))")
        }
    }

    /// CopyFile, as Kata's agent does it when the host has no shared file
    /// system: a directory, a symlink (data = target) or a file written in
    /// chunks at `offset`; mode and owner are applied with the last chunk.
    /// Only paths under the agent's state directory are accepted.
    func copyFile(_ request: Grpc_CopyFileRequest) throws {
        let path = request.path
        let base = configuration.stateDirectory + "/"
        guard path.hasPrefix(base), !path.split(separator: "/").contains(".."), !path.split(separator: "/").contains(".") else {
            throw AgentError.invalid("CopyFile: path \"\(path)\" must be under \(base) and contain no \"..\"")
        }
        let parent = String(path[..<path.lastIndex(of: "/")!])
        let dirMode = mode_t(request.dirMode & 0o7777)
        try makeDirectories(parent, mode: dirMode == 0 ? 0o750 : dirMode)
        let type = mode_t(request.fileMode) & S_IFMT
        let mode = mode_t(request.fileMode & 0o7777)
        if type == S_IFDIR {
            if mkdir(path, mode) != 0 && errno != EEXIST {
                throw AgentError.failed("CopyFile: mkdir \(path): \(String(cString: strerror(errno)))")
            }
            chmod(path, mode)
            lchown(path, uid_t(bitPattern: request.uid), gid_t(bitPattern: request.gid))
            return
        }
        if type == S_IFLNK {
            unlink(path)
            let target = String(decoding: request.data, as: UTF8.self)
            guard symlink(target, path) == 0 else {
                throw AgentError.failed("CopyFile: symlink \(path) -> \(target): \(String(cString: strerror(errno)))")
            }
            lchown(path, uid_t(bitPattern: request.uid), gid_t(bitPattern: request.gid))
            return
        }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (request.offset == 0 ? O_TRUNC : 0)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else { throw AgentError.failed("CopyFile: open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = [UInt8](request.data)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(request.offset) + off_t(written)) }
            guard n >= 0 else {
                if errno == EINTR { continue }
                throw AgentError.failed("CopyFile: write \(path) at \(request.offset): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        if request.offset + Int64(bytes.count) >= request.fileSize {
            fchmod(fd, mode)
            fchown(fd, uid_t(bitPattern: request.uid), gid_t(bitPattern: request.gid))
        }
    }

    /// GetDiagnosticData: `termination-log` returns a container's Kubernetes
    /// termination message (the file mounted at /dev/termination-log, or that
    /// path in its root), which the host reads when it shares no file system.
    func diagnosticData(_ request: Grpc_GetDiagnosticDataRequest) async throws -> Grpc_GetDiagnosticDataResponse {
        switch request.logType {
        case "termination-log":
            let container = try await sandbox.container(request.containerID)
            let specText = try readTextFile(container.bundle + "/config.json")
            let spec = try OCISpec(json: Array(specText.utf8), source: container.bundle + "/config.json")
            let path = spec.mounts?.first { $0.destination == "/dev/termination-log" }?.source
                ?? (spec.root?.path.map { $0 + "/dev/termination-log" } ?? "")
            let text = (try? readTextFile(path)) ?? ""
            return Grpc_GetDiagnosticDataResponse.with { $0.data = String(text.prefix(4096)) }
        default:
            throw AgentError.invalid("GetDiagnosticData: log_type \"\(request.logType)\" is not known; supported: termination-log")
        }
    }

    /// GetMetrics: the agent's own figures and the guest's load in Prometheus
    /// text format, with Kata's agent names where Kata has them
    /// (`kata_agent_proc_status{item}`, `kata_agent_total_rss`, `kata_guest_load{item}` …).
    func metrics() async -> Grpc_Metrics {
        var lines: [String] = []
        func family(_ name: String, _ help: String, _ type: String, _ samples: [(labels: String, value: String)]) {
            guard !samples.isEmpty else { return }
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        func items(_ values: [(String, String)]) -> [(labels: String, value: String)] {
            values.map { (labels: "{item=\"\($0.0)\"}", value: $0.1) }
        }
        let status = Self.processStatus((try? readTextFile("/proc/self/status")) ?? "")
        let stat = Self.processStat((try? readTextFile("/proc/self/stat")) ?? "")
        let rss = status.items.first { $0.item == "vmrss" }?.bytes ?? 0
        family("kata_agent_process_resident_memory_bytes", "Resident memory of the agent.", "gauge", [("", "\(rss)")])
        family("kata_agent_total_rss", "Agent process total rss size in bytes.", "gauge", [("", "\(rss)")])
        family("kata_agent_total_vm", "Agent process total vm size in bytes.", "gauge",
               [("", "\(status.items.first { $0.item == "vmsize" }?.bytes ?? 0)")])
        family("kata_agent_threads", "Agent process threads.", "gauge", [("", "\(status.threads)")])
        family("kata_agent_proc_status", "Agent process status (see /proc/<pid>/status; sizes in bytes).", "gauge",
               items(status.items.map { ($0.item, "\($0.bytes)") }))
        family("kata_agent_proc_stat", "Agent process stat (see /proc/<pid>/stat; clock ticks).", "gauge",
               items(stat.map { ($0.item, "\($0.ticks)") }))
        let uptime = ContinuousClock.now - startTime
        family("kata_agent_uptime_seconds", "Time since the agent started.", "gauge", [("", "\(uptime.components.seconds)")])
        family("kata_agent_scrape_count", "Metrics scrape count.", "counter", [("", "\(callCounts["GetMetrics"] ?? 0)")])
        family("kata_agent_containers", "Containers in the sandbox.", "gauge", [("", "\(await sandbox.containerCount)")])
        family("kata_agent_rpc_calls_total", "Agent RPCs received, by method.", "counter",
               callCounts.sorted { $0.key < $1.key }.map { (labels: "{method=\"\($0.key)\"}", value: "\($0.value)") })
        let load = Self.loadAverage((try? readTextFile("/proc/loadavg")) ?? "")
        family("kata_guest_load", "Guest system load.", "gauge", items(load.load))
        family("kata_guest_tasks", "Guest scheduling entities: runnable now (cur) and in all (max).", "gauge", items(load.tasks))
        return Grpc_Metrics.with { $0.metrics = lines.joined(separator: "\n") + "\n" }
    }

    /// The `status` lines Kata reports, by Kata's item names (the key in lower
    /// case); kB values in bytes.
    static func processStatus(_ text: String) -> (items: [(item: String, bytes: UInt64)], threads: UInt64) {
        let keys: Set<Substring> = [
            "VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData", "VmStk",
            "VmExe", "VmLib", "VmPTE", "VmSwap", "HugetlbPages", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches",
        ]
        var items: [(item: String, bytes: UInt64)] = []
        var threads: UInt64 = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let words = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = words.first.flatMap({ UInt64($0) }) else { continue }
            if parts[0] == "Threads" { threads = value }
            if keys.contains(parts[0]) {
                items.append((parts[0].lowercased(), words.dropFirst().first == "kB" ? value * 1024 : value))
            }
        }
        return (items.sorted { $0.item < $1.item }, threads)
    }

    /// utime, stime, cutime and cstime: fields 14–17, counted after `(comm)`.
    static func processStat(_ text: String) -> [(item: String, ticks: UInt64)] {
        guard let close = text.lastIndex(of: ")") else { return [] }
        let fields = text[text.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count > 14 else { return [] }
        return [("cstime", 14), ("cutime", 13), ("stime", 12), ("utime", 11)].map {
            ($0.0, UInt64(fields[$0.1]) ?? 0)
        }
    }

    /// `/proc/loadavg`: `0.10 0.20 0.30 1/150 4242`.
    static func loadAverage(_ text: String) -> (load: [(String, String)], tasks: [(String, String)]) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 4, fields[0...2].allSatisfy({ Double($0) != nil }) else { return ([], []) }
        let load = [("load1", String(fields[0])), ("load15", String(fields[2])), ("load5", String(fields[1]))]
        let tasks = fields[3].split(separator: "/")
        guard tasks.count == 2, UInt64(tasks[0]) != nil, UInt64(tasks[1]) != nil else { return (load, []) }
        return (load, [("cur", String(tasks[0])), ("max", String(tasks[1]))])
    }
}
