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

    /// GetMetrics: the agent's own figures in Prometheus text format.
    func metrics() async -> Grpc_Metrics {
        var lines: [String] = []
        let status = (try? readTextFile("/proc/self/status")) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?
            .split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
        lines.append("# HELP kata_agent_process_resident_memory_bytes Resident memory of the agent.")
        lines.append("# TYPE kata_agent_process_resident_memory_bytes gauge")
        lines.append("kata_agent_process_resident_memory_bytes \(rss * 1024)")
        let uptime = ContinuousClock.now - startTime
        lines.append("# HELP kata_agent_uptime_seconds Time since the agent started.")
        lines.append("# TYPE kata_agent_uptime_seconds gauge")
        lines.append("kata_agent_uptime_seconds \(uptime.components.seconds)")
        lines.append("# HELP kata_agent_containers Containers in the sandbox.")
        lines.append("# TYPE kata_agent_containers gauge")
        lines.append("kata_agent_containers \(await sandbox.containerCount)")
        lines.append("# HELP kata_agent_rpc_calls_total Agent RPCs received, by method.")
        lines.append("# TYPE kata_agent_rpc_calls_total counter")
        for (method, count) in callCounts.sorted(by: { $0.key < $1.key }) {
            lines.append("kata_agent_rpc_calls_total{method=\"\(method)\"} \(count)")
        }
        return Grpc_Metrics.with { $0.metrics = lines.joined(separator: "\n") + "\n" }
    }
}
