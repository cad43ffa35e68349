#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Files
import Glibc

/// What a running sandbox leaves on disk so that a later `delete` (the shim
/// killed, containerd cleaning up) can undo it without the shim: the host
/// processes it started and the places it used. Written atomically.
public struct SandboxRecord: Codable, Sendable, Equatable {
    public struct HostProcess: Codable, Sendable, Equatable {
        public var pid: Int32
        /// Field 22 of /proc/<pid>/stat when started: a reused pid has another.
        public var startTime: UInt64
    }

    public var sandboxID: String
    public var qemu: HostProcess?
    public var virtiofsd: HostProcess?
    /// cgroup directories made for the sandbox (one per v1 hierarchy).
    public var cgroups: [String] = []
    /// Bundles whose `rootfs` the shim mounted.
    public var bundles: [String] = []

    public init(sandboxID: String) {
        self.sandboxID = sandboxID
    }

    public func write(to paths: SandboxPaths) throws {
        try makeDirectories(paths.stateDirectory, mode: 0o700)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try writeFileAtomically(paths.recordFile, Array(try encoder.encode(self)), mode: 0o600)
    }

    public static func read(from paths: SandboxPaths) -> SandboxRecord? {
        guard let text = try? readTextFile(paths.recordFile) else { return nil }
        return try? JSONDecoder().decode(SandboxRecord.self, from: Data(text.utf8))
    }

    /// The start time of a live process, nil when there is none with this pid.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? readTextFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name start at field 3; starttime is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    public static func process(_ pid: Int32) -> HostProcess? {
        startTime(of: pid).map { HostProcess(pid: pid, startTime: $0) }
    }
}

extension SandboxRecord.HostProcess {
    /// SIGKILLs the process if it is still the one recorded.
    func killIfAlive() -> Bool {
        guard SandboxRecord.startTime(of: pid) == startTime else { return false }
        return kill(pid, SIGKILL) == 0
    }
}

extension SandboxRecord {
    /// Undoes a sandbox whose shim is gone: kills its QEMU and virtiofsd (their
    /// mount namespace goes with them), removes its cgroups, directories and
    /// record. Safe to repeat; cheap when everything is gone already.
    public static func cleanUp(_ paths: SandboxPaths) {
        if let record = read(from: paths) {
            var killed: [Int32] = []
            for process in [record.qemu, record.virtiofsd].compactMap({ $0 }) where process.killIfAlive() {
                killed.append(process.pid)
            }
            // Not our children: wait for them to go before removing their cgroups.
            for pid in killed {
                for _ in 0..<200 where startTime(of: pid) != nil { usleep(10_000) }
            }
            for cgroup in record.cgroups { SandboxCgroup.removeWhenEmpty(cgroup) }
            for bundle in record.bundles { Mounter.unmountAll(bundle + "/rootfs") }
        }
        for directory in paths.directories { Mounter.removeTree(directory) }
    }
}
