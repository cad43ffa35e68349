import Agent
import Foundation
import Protocols
import TestSupport
import TTRPC

/// The real agent (`.build/debug/kata-agent`) running on this host as an
/// ordinary process, in its own UTS and mount namespaces (so that the hostname
/// and mounts it makes stay its own), with runc: crun refuses this host's
/// hybrid cgroup layout. The guest runs the same agent with crun (VM tests).
final class HostAgent: @unchecked Sendable {
    let directory: String
    let process: BackgroundProcess
    let client: AgentClient
    let cgroupParent: String
    var stateDirectory: String { directory + "/state" }
    var socket: String { directory + "/agent.sock" }
    var rootfs: String { directory + "/rootfs" }
    var guestComponentsFile: String { directory + "/guest-components.env" }

    static var executable: String { packageRoot + "/.build/debug/kata-agent" }

    /// The applets the tests' container images use.
    static let applets = ["sh", "echo", "cat", "sleep", "ls", "id", "hostname", "stty", "tail", "dd", "true", "false", "kill", "head", "wc", "tr"]

    init(kernelCommandLine: String = "console=ttyS0 quiet", netns: String? = nil, extraArguments: [String] = []) async throws {
        directory = try makeTemporaryDirectory("kagent")
        cgroupParent = "/kata-agent-test-\(UInt32.random(in: 0..<UInt32.max))"
        try Self.makeBusyboxRootfs(at: directory + "/rootfs")
        try kernelCommandLine.write(toFile: directory + "/cmdline", atomically: true, encoding: .utf8)
        guard let runc = which("runc") else { throw CommandError(description: "runc not found: install the Debian package runc (.ci/run does)") }
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw CommandError(description: "\(Self.executable) is missing: run swift build (make test does)")
        }
        process = try BackgroundProcess(
            ["unshare", "--uts", "--mount", "--propagation", "private", Self.executable,
             "--listen", "unix://" + directory + "/agent.sock", "--state-dir", directory + "/state",
             "--runtime", runc, "--cgroup-parent", cgroupParent, "--kernel-cmdline", directory + "/cmdline",
             "--guest-components-file", directory + "/guest-components.env", "--log-level", "debug",
             "--pause-bundle", directory + "/pause_bundle"]
                + (netns.map { ["--netns", $0] } ?? []) + extraArguments,
            logPath: directory + "/agent.log")
        client = AgentClient(endpoint: .unix(path: directory + "/agent.sock"))
        try await client.waitUntilReady(timeout: .seconds(20))
    }

    /// A busybox root file system: the static busybox, its applets, mount points.
    static func makeBusyboxRootfs(at path: String) throws {
        let fm = FileManager.default
        for dir in ["bin", "proc", "sys", "dev", "tmp", "etc", "run"] {
            try fm.createDirectory(atPath: path + "/" + dir, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: "/bin/busybox", toPath: path + "/bin/busybox")
        for applet in applets {
            try fm.createSymbolicLink(atPath: path + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/:/bin/sh\n".write(toFile: path + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\n".write(toFile: path + "/etc/group", atomically: true, encoding: .utf8)
    }

    /// The pid of the agent itself (`unshare` without `--fork` execs it).
    var agentPID: Int32 { process.pid }

    /// A spec for a busybox container running `args` on the test rootfs.
    func spec(_ args: [String], terminal: Bool = false, hostname: String = "ctr", extraMounts: [Grpc_Mount] = []) -> Grpc_Spec {
        Grpc_Spec.with {
            $0.version = "1.0.2"
            $0.process = Grpc_Process.with {
                $0.args = args
                $0.env = ["PATH=/bin", "TERM=xterm"]
                $0.cwd = "/"
                $0.terminal = terminal
                $0.user = Grpc_User.with { $0.uid = 0; $0.gid = 0 }
                $0.capabilities = Grpc_LinuxCapabilities.with {
                    let caps = ["CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_DAC_OVERRIDE"]
                    $0.bounding = caps; $0.effective = caps; $0.permitted = caps
                }
            }
            $0.root = Grpc_Root.with { $0.path = rootfs; $0.readonly = true }
            $0.hostname = hostname
            $0.mounts = [
                Grpc_Mount.with { $0.destination = "/proc"; $0.type = "proc"; $0.source = "proc" },
                Grpc_Mount.with { $0.destination = "/dev"; $0.type = "tmpfs"; $0.source = "tmpfs"; $0.options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
                Grpc_Mount.with { $0.destination = "/dev/pts"; $0.type = "devpts"; $0.source = "devpts"; $0.options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
                Grpc_Mount.with { $0.destination = "/tmp"; $0.type = "tmpfs"; $0.source = "tmpfs"; $0.options = ["nosuid", "nodev"] },
                Grpc_Mount.with { $0.destination = "/sys"; $0.type = "sysfs"; $0.source = "sysfs"; $0.options = ["nosuid", "noexec", "nodev", "ro"] },
            ] + extraMounts
            $0.linux = Grpc_Linux.with {
                $0.namespaces = ["pid", "ipc", "uts", "mount", "network"].map { type in Grpc_LinuxNamespace.with { $0.type = type } }
                $0.maskedPaths = ["/proc/kcore"]
            }
        }
    }

    /// - Parameter rootPath: the spec's root (default: the test rootfs).
    func createContainer(_ id: String, _ args: [String], terminal: Bool = false, hostname: String = "ctr",
                         storages: [Grpc_Storage] = [], extraMounts: [Grpc_Mount] = [], rootPath: String? = nil) async throws {
        try await client.createContainer(Grpc_CreateContainerRequest.with {
            $0.containerID = id
            $0.execID = id
            $0.oci = spec(args, terminal: terminal, hostname: hostname, extraMounts: extraMounts)
            if let rootPath { $0.oci.root.path = rootPath }
            $0.storages = storages
        })
    }

    /// Creates, starts, reads stdout and stderr to their ends and waits.
    func runToCompletion(_ id: String, _ args: [String]) async throws -> (stdout: String, stderr: String, status: Int32) {
        try await createContainer(id, args)
        try await client.startContainer(id)
        async let out = client.readAll("ReadStdout", container: id, exec: id)
        async let err = client.readAll("ReadStderr", container: id, exec: id)
        let status = try await client.waitProcess(container: id, exec: id)
        return (String(decoding: try await out, as: UTF8.self), String(decoding: try await err, as: UTF8.self), status)
    }

    /// The directory of `controller` (v1) for a container's cgroup.
    func cgroupDirectory(controller: String, container: String) -> String {
        "/sys/fs/cgroup/\(controller)\(cgroupParent)/\(container)"
    }

    /// Runs `body` with a fresh agent and always stops it afterwards, also
    /// when the body fails or the test's time limit cancels it.
    static func with(kernelCommandLine: String = "console=ttyS0 quiet", netns: String? = nil, extraArguments: [String] = [],
                     _ body: (HostAgent) async throws -> Void) async throws {
        let agent = try await HostAgent(kernelCommandLine: kernelCommandLine, netns: netns, extraArguments: extraArguments)
        do {
            try await body(agent)
        } catch {
            await agent.stop()
            throw error
        }
        await agent.stop()
    }

    /// Stops the agent (SIGTERM: it removes its containers), then removes
    /// everything the test made: cgroups, state, the directory.
    func stop() async {
        await client.close()
        process.stop(signal: SIGTERM, grace: 20)
        for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            let parent = "/sys/fs/cgroup/\(controller)\(cgroupParent)"
            for child in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: parent + "/" + child, isDirectory: &isDirectory), isDirectory.boolValue {
                    rmdir(parent + "/" + child)
                }
            }
            rmdir(parent)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
