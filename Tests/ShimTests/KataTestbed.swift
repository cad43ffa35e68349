import Foundation
import Shim
import TestSupport
import Testing

/// A private containerd 1.6 whose PATH finds this build's
/// `containerd-shim-kata-v2`, the busybox and pause images imported, and the
/// development configuration (TCG, virtio-serial, build/guest) written into a
/// temporary directory: nothing goes into /etc or /usr. One at a time (each
/// boots VMs), and after each test nothing of ours may remain.
final class KataTestbed: @unchecked Sendable {
    static let shimDirectory = packageRoot + "/.build/debug"
    static let shimBinary = shimDirectory + "/containerd-shim-kata-v2"

    let containerd: PrivateContainerd
    let configDirectory: String
    /// kata-qemu (virtio-fs) with the development drop-in.
    var configPath: String { configDirectory + "/configuration-qemu.toml" }

    private init(containerd: PrivateContainerd, configDirectory: String) {
        self.containerd = containerd
        self.configDirectory = configDirectory
    }

    /// Runs `body` with a fresh testbed while holding the VM slot, then checks
    /// that nothing of the tasks `ids` is left and removes the testbed.
    static func with(_ body: (KataTestbed) async throws -> Void) async throws {
        try await VMSlot.run {
            let configDirectory = try makeTemporaryDirectory("kcfg")
            let written = try run(["bash", packageRoot + "/hack/dev-config.sh", configDirectory], timeout: 30, package: "bash")
            try #require(written.succeeded, "hack/dev-config.sh: \(written.output)")
            let containerd = try await PrivateContainerd(pathDirectories: [shimDirectory])
            let testbed = KataTestbed(containerd: containerd, configDirectory: configDirectory)
            defer {
                containerd.destroy()
                testbed.stopOrphanedShims()
                try? FileManager.default.removeItem(atPath: configDirectory)
            }
            try await containerd.importImages()
            do {
                try await body(testbed)
            } catch {
                print("containerd log:\n\(containerd.log.suffix(6000))")
                throw error
            }
        }
    }

    /// After a failed test: shims of this containerd that nobody will shut
    /// down now (SIGTERM tears their sandbox down), then `delete` for each.
    func stopOrphanedShims() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries.compactMap(Int32.init) {
            let line = Self.commandLine(of: pid)
            guard line.contains("containerd-shim-kata-v2"), line.contains(containerd.socket) else { continue }
            let words = line.split(separator: " ").map(String.init)
            kill(pid, SIGTERM)
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
            if let index = words.firstIndex(of: "-id"), index + 1 < words.count {
                _ = try? run([Self.shimBinary, "-namespace", "default", "-address", containerd.socket, "-id", words[index + 1],
                              "-bundle", "/nonexistent", "delete"], timeout: 30)
            }
        }
    }

    /// `ctr run --rm --runtime io.containerd.kata.v2` with this testbed's configuration.
    func ctrRun(_ id: String, _ command: [String], options: [String] = ["--rm"], timeout: TimeInterval = 120) async throws -> CommandResult {
        try await ctr(["run"] + options + ["--runtime", "io.containerd.kata.v2", "--runtime-config-path", configPath,
                                           TestImages.busyboxReference, id] + command, timeout: timeout)
    }

    /// `ctr` off the cooperative pool (it blocks while the shim works).
    func ctr(_ arguments: [String], timeout: TimeInterval = 120) async throws -> CommandResult {
        try await NIOOffPool.run { [containerd] in try containerd.ctr(arguments, timeout: timeout) }
    }

    /// Everything of ours that task `id` could leave behind.
    func leftovers(of id: String) throws -> [String] {
        var found: [String] = []
        for path in ["/run/vc/sbs/\(id)", "/run/vc/vm/\(id)", "/run/kata-containers/shared/sandboxes/\(id)",
                     "/run/kata-containers/shared/initdata/\(id)",
                     containerd.state + "/io.containerd.runtime.v2.task/default/\(id)",
                     "/sys/fs/cgroup/memory/default/\(id)", "/sys/fs/cgroup/pids/default/\(id)", "/sys/fs/cgroup/unified/default/\(id)"]
        where FileManager.default.fileExists(atPath: path) {
            found.append("directory \(path)")
        }
        let socket = try ShimSocketAddress(containerdAddress: containerd.socket, namespace: "default", groupID: id).path
        if FileManager.default.fileExists(atPath: socket) { found.append("shim socket \(socket)") }
        for pid in Self.processes(mentioning: id) { found.append("process \(pid): \(Self.commandLine(of: pid))") }
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        for line in mounts.split(separator: "\n") where line.contains("/\(id)/") || line.hasSuffix("/\(id)") {
            found.append("mount \(line)")
        }
        return found
    }

    /// Waits up to `timeout` for `leftovers(of:)` to be empty and fails with what remains.
    func expectNothingLeft(of ids: [String], timeout: TimeInterval = 15) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var remaining: [String] = []
        repeat {
            remaining = try ids.flatMap { try leftovers(of: $0) }
            if remaining.isEmpty { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        } while Date() < deadline
        Issue.record(Comment(rawValue: "left behind:\n\(remaining.joined(separator: "\n"))"))
    }

    /// QEMU, virtiofsd and shim processes whose command line names the task `id`.
    static func processes(mentioning id: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            let line = commandLine(of: pid)
            let ours = line.contains("containerd-shim-kata-v2") || line.contains("qemu-system") || line.contains("virtiofsd")
            return ours && line.split(separator: " ").contains { $0 == id || $0.contains("sandbox-\(id)") || $0.contains("/\(id)/") }
        }
    }

    static func commandLine(of pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }

    /// The guest kernel's release, read from build/guest/vmlinux ("Linux version X ...").
    static func guestKernelRelease() throws -> String {
        let result = try run(["sh", "-c", "grep -a -o -m1 'Linux version [^ ]*' \(packageRoot)/build/guest/vmlinux | head -1"], package: "grep")
        let release = result.output.split(separator: " ").last.map(String.init) ?? ""
        try #require(!release.isEmpty, "no kernel release in build/guest/vmlinux (run make guest)")
        return release.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension KataTestbed {
    /// The runtime flags for a `ctr run` of ours.
    var runtimeFlags: [String] { ["--runtime", "io.containerd.kata.v2", "--runtime-config-path", configPath] }

    /// The bundle containerd made for task `id`.
    func bundle(of id: String) -> String { containerd.state + "/io.containerd.runtime.v2.task/default/" + id }

    /// The long-running shim's pid, from the bundle's `shim.pid`.
    func shimPID(of id: String) throws -> Int32 {
        let text = try String(contentsOfFile: bundle(of: id) + "/shim.pid", encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// The task's pid as `ctr task ls` shows it (for us: QEMU's).
    func taskPID(of id: String) async throws -> Int32 {
        let list = try await ctr(["task", "ls"])
        let line = try #require(list.output.split(separator: "\n").first { $0.split(separator: " ").first.map(String.init) == id })
        return try #require(Int32(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// The task's status as `ctr task ls` shows it.
    func taskStatus(of id: String) async throws -> String? {
        let list = try await ctr(["task", "ls"])
        let line = list.output.split(separator: "\n").first { $0.split(separator: " ").first.map(String.init) == id }
        return line.flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) }
    }

    /// Waits until `condition` holds, polling.
    func waitUntil(_ what: String, timeout: TimeInterval = 30, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await !condition() {
            guard Date() < deadline else { throw CommandError(description: "timed out after \(Int(timeout)) s waiting for \(what)") }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Kills (SIGKILL) and deletes a task and its container, ignoring what is already gone.
    func remove(_ id: String) async throws {
        _ = try await ctr(["task", "kill", "-s", "KILL", id])
        _ = try await ctr(["task", "delete", "-f", id])
        _ = try await ctr(["container", "rm", id])
    }

    /// The event topics `ctr events` printed for task `id`, in order.
    static func topics(in log: String, for id: String) -> [String] {
        log.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("\"\(id)\"") || line.contains("container_id\":\"\(id)") else { return nil }
            return line.split(separator: " ").first { $0.hasPrefix("/tasks/") }.map(String.init)
        }
    }
}
