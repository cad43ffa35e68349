import Agent
import Foundation
import Protocols
import TestSupport
import Testing
import TTRPC

/// Every container RPC against the real agent on this host, checking effects.
@Suite(.serialized, .timeLimit(.minutes(1))) struct AgentContainerTests {
    @Test func healthCheckAndVersion() async throws {
        try await HostAgent.with { agent in
            #expect(try await agent.client.check().status == .serving)
            let version = try await agent.client.version()
            #expect(!version.agentVersion.isEmpty)
        }
    }

    @Test func runsAContainerAndReportsOutputAndExitCodes() async throws {
        try await HostAgent.with { agent in
            let ok = try await agent.runToCompletion("c-ok", ["sh", "-c", "echo out; echo err >&2; hostname"])
            #expect(ok.stdout == "out\nctr\n")
            #expect(ok.stderr == "err\n")
            #expect(ok.status == 0)
            let failed = try await agent.runToCompletion("c-fail", ["sh", "-c", "exit 3"])
            #expect(failed.status == 3)
            // The bundle exists until RemoveContainer, which removes it and the runtime's state.
            #expect(FileManager.default.fileExists(atPath: agent.stateDirectory + "/containers/c-ok/config.json"))
            try await agent.client.removeContainer("c-ok")
            try await agent.client.removeContainer("c-fail")
            #expect(!FileManager.default.fileExists(atPath: agent.stateDirectory + "/containers/c-ok"))
            #expect(!FileManager.default.fileExists(atPath: agent.stateDirectory + "/runtime/c-ok"))
            await #expect(throws: AgentCallError.self) { try await agent.client.startContainer("c-ok") }
        }
    }

    @Test func signalEndsASleepWithItsSignalInTheStatus() async throws {
        try await HostAgent.with { agent in
            try await agent.createContainer("sleeper", ["sleep", "1000"])
            try await agent.client.startContainer("sleeper")
            // An exec'd sleep is not PID 1 of its namespace: SIGTERM ends it.
            try await agent.client.execProcess(Grpc_ExecProcessRequest.with {
                $0.containerID = "sleeper"; $0.execID = "nap"; $0.process = agent.spec(["sleep", "1000"]).process
            })
            try await agent.client.signalProcess(container: "sleeper", exec: "nap", signal: SIGTERM)
            #expect(try await agent.client.waitProcess(container: "sleeper", exec: "nap") == 128 + SIGTERM)
            // The init is PID 1 there and ignores SIGTERM, as in any container; SIGKILL ends it.
            try await agent.client.signalProcess(container: "sleeper", exec: "sleeper", signal: SIGKILL)
            #expect(try await agent.client.waitProcess(container: "sleeper", exec: "sleeper") == 128 + SIGKILL)
            // Signalling a process that has ended is not an error (containerd's Kill of an exited task).
            try await agent.client.signalProcess(container: "sleeper", exec: "sleeper", signal: SIGKILL)
            try await agent.client.removeContainer("sleeper")
        }
    }

    @Test func execWithStdinAndStdout() async throws {
        try await HostAgent.with { agent in
            try await agent.createContainer("box", ["sleep", "1000"])
            try await agent.client.startContainer("box")
            try await agent.client.execProcess(Grpc_ExecProcessRequest.with {
                $0.containerID = "box"
                $0.execID = "e1"
                $0.process = agent.spec(["sh", "-c", "tr a-z A-Z; exit 4"]).process
            })
            try await agent.client.writeStdin(container: "box", exec: "e1", Array("hello from stdin\n".utf8))
            try await agent.client.closeStdin(container: "box", exec: "e1")
            let output = try await agent.client.readAll(container: "box", exec: "e1")
            #expect(String(decoding: output, as: UTF8.self) == "HELLO FROM STDIN\n")
            #expect(try await agent.client.waitProcess(container: "box", exec: "e1") == 4)
            // A second exec with the same id is refused.
            await #expect(throws: AgentCallError.self) {
                try await agent.client.execProcess(Grpc_ExecProcessRequest.with {
                    $0.containerID = "box"; $0.execID = "e1"; $0.process = agent.spec(["true"]).process
                })
            }
            try await agent.client.removeContainer("box")
        }
    }

    /// A host that goes away in the middle of a ReadStdout (a shim that is
    /// killed) must not take output with it: the next reader gets it.
    @Test func aReadCancelledByADisconnectLosesNothing() async throws {
        try await HostAgent.with { agent in
            try await agent.createContainer("late", ["sh", "-c", "read x; echo after-$x"])
            try await agent.client.startContainer("late")
            let other = try await TTRPCClient.connect(to: .unix(path: agent.socket))
            let pending = Task {
                try await other.call(service: "grpc.AgentService", method: "ReadStdout",
                                     request: Grpc_ReadStreamRequest.with { $0.containerID = "late"; $0.execID = "late"; $0.len = 1024 },
                                     responseType: Grpc_ReadStreamResponse.self)
            }
            try await Task.sleep(nanoseconds: 200_000_000)
            await other.close()
            _ = try? await pending.value
            // The agent hears of the disconnect, as it would long before a killed shim's successor writes.
            try await Task.sleep(nanoseconds: 300_000_000)
            try await agent.client.writeStdin(container: "late", exec: "late", Array("go\n".utf8))
            #expect(try await agent.client.readAll(container: "late", exec: "late") == Array("after-go\n".utf8))
            #expect(try await agent.client.waitProcess(container: "late", exec: "late") == 0)
            try await agent.client.removeContainer("late")
        }
    }

    @Test func terminalExecAndResize() async throws {
        try await HostAgent.with { agent in
            try await agent.createContainer("tty", ["sleep", "1000"])
            try await agent.client.startContainer("tty")
            try await agent.client.execProcess(Grpc_ExecProcessRequest.with {
                $0.containerID = "tty"; $0.execID = "t1"
                $0.process = agent.spec(["sh", "-c", "read line; stty size; echo got-$line"], terminal: true).process
            })
            try await agent.client.resizeTerminal(container: "tty", exec: "t1", rows: 40, columns: 100)
            try await agent.client.writeStdin(container: "tty", exec: "t1", Array("go\n".utf8))
            let output = String(decoding: try await agent.client.readAll(container: "tty", exec: "t1"), as: UTF8.self)
            #expect(output.contains("40 100"), "\(output)")
            #expect(output.contains("got-go"), "\(output)")
            #expect(try await agent.client.waitProcess(container: "tty", exec: "t1") == 0)
            // A terminal has one stream: stderr ends at once.
            #expect(try await agent.client.readStderr(container: "tty", exec: "t1") == nil)
            try await agent.client.removeContainer("tty")
        }
    }

    @Test func pauseFreezesAndResumeThaws() async throws {
        try await HostAgent.with { agent in
            try await agent.createContainer("p", ["sleep", "1000"])
            try await agent.client.startContainer("p")
            let freezer = agent.cgroupDirectory(controller: "freezer", container: "p") + "/freezer.state"
            try await agent.client.pauseContainer("p")
            #expect(try String(contentsOfFile: freezer, encoding: .utf8).hasPrefix("FROZEN"))
            await #expect(throws: AgentCallError.self) { try await agent.client.pauseContainer("p") }
            try await agent.client.resumeContainer("p")
            #expect(try String(contentsOfFile: freezer, encoding: .utf8).hasPrefix("THAWED"))
            try await agent.client.removeContainer("p")
        }
    }

    @Test func statsAreTheContainersCgroupFigures() async throws {
        try await HostAgent.with { agent in
            // 24 MiB in a tmpfs file is charged to the container's memory cgroup.
            try await agent.createContainer("s", ["sh", "-c", "dd if=/dev/zero of=/tmp/fill bs=1M count=24 2>/dev/null; echo filled; sleep 1000"])
            try await agent.client.startContainer("s")
            #expect(try await agent.client.readStdout(container: "s", exec: "s") == Array("filled\n".utf8))
            let stats = try await agent.client.statsContainer("s").cgroupStats
            let usage = UInt64(try String(contentsOfFile: agent.cgroupDirectory(controller: "memory", container: "s") + "/memory.usage_in_bytes", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines))!
            #expect(stats.memoryStats.usage.usage >= 24 << 20)
            #expect(stats.memoryStats.usage.usage <= usage + (4 << 20) && usage <= stats.memoryStats.usage.usage + (4 << 20))
            #expect(stats.pidsStats.current >= 1)
            #expect(stats.cpuStats.cpuUsage.totalUsage > 0)
            try await agent.client.removeContainer("s")
        }
    }

    @Test func updateChangesTheMemoryLimit() async throws {
        try await HostAgent.with { agent in
            try await agent.createContainer("u", ["sleep", "1000"])
            try await agent.client.startContainer("u")
            try await agent.client.updateContainer("u", resources: Grpc_LinuxResources.with { $0.memory = Grpc_LinuxMemory.with { $0.limit = 64 << 20 } })
            let limit = try String(contentsOfFile: agent.cgroupDirectory(controller: "memory", container: "u") + "/memory.limit_in_bytes", encoding: .utf8)
            #expect(limit.trimmingCharacters(in: .whitespacesAndNewlines) == String(64 << 20))
            #expect(try await agent.client.statsContainer("u").cgroupStats.memoryStats.usage.limit == 64 << 20)
            try await agent.client.removeContainer("u")
        }
    }

    @Test func oomKillIsReportedByGetOOMEvent() async throws {
        try await HostAgent.with { agent in
            try await agent.createContainer("oom", ["sh", "-c", "echo go; tail /dev/zero"])
            try await agent.client.updateContainer("oom", resources: Grpc_LinuxResources.with {
                $0.memory = Grpc_LinuxMemory.with { $0.limit = 16 << 20; $0.swap = 16 << 20 }
            })
            let event = Task { try await agent.client.nextOOMEvent() }
            try await agent.client.startContainer("oom")
            #expect(try await agent.client.waitProcess(container: "oom", exec: "oom") == 128 + SIGKILL)
            #expect(try await event.value == "oom")
            try await agent.client.removeContainer("oom")
        }
    }

    @Test func storagesLocalEphemeralAndAnUnknownDriver() async throws {
        try await HostAgent.with { agent in
            let local = agent.stateDirectory + "/sandbox/local/vol1"
            let scratch = agent.stateDirectory + "/sandbox/ephemeral/scratch"
            try await agent.createContainer("st", ["true"], storages: [
                Grpc_Storage.with { $0.driver = "local"; $0.source = "local"; $0.mountPoint = local; $0.options = ["mode=0777"] },
                Grpc_Storage.with { $0.driver = "ephemeral"; $0.source = "tmpfs"; $0.fstype = "tmpfs"; $0.mountPoint = scratch; $0.options = ["size=1m"] },
            ])
            var info = stat()
            #expect(stat(local, &info) == 0 && info.st_mode & 0o777 == 0o777)
            let mounts = try String(contentsOfFile: "/proc/\(agent.agentPID)/mountinfo", encoding: .utf8)
            #expect(mounts.contains(" \(scratch) "), "the tmpfs is mounted in the agent's namespace")
            #expect(!(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)).contains(scratch), "and not in the host's")
            try await agent.client.removeContainer("st")
            #expect(!(try String(contentsOfFile: "/proc/\(agent.agentPID)/mountinfo", encoding: .utf8)).contains(" \(scratch) "))

            do {
                try await agent.createContainer("bad", ["true"], storages: [Grpc_Storage.with { $0.driver = "nvdimm-magic"; $0.mountPoint = "/x" }])
                Issue.record("expected an error")
            } catch let error as AgentCallError {
                #expect(error.status.code == .invalidArgument)
                #expect(error.status.message == "storage driver \"nvdimm-magic\" (mount point /x) is not supported by this agent; supported: local, ephemeral, virtio-fs, 9p, image_guest_pull")
            }
        }
    }

    @Test func createSandboxSetsHostnameDNSAndStorages() async throws {
        try await HostAgent.with { agent in
            let shm = agent.stateDirectory + "/sandbox/shm"
            try await agent.client.createSandbox(Grpc_CreateSandboxRequest.with {
                $0.hostname = "pod-host"
                $0.dns = ["nameserver 198.18.0.53", "search example.test"]
                $0.sandboxID = "sb1"
                $0.storages = [Grpc_Storage.with {
                    $0.driver = "ephemeral"; $0.source = "shm"; $0.fstype = "tmpfs"; $0.mountPoint = shm
                    $0.options = ["noexec", "nosuid", "nodev", "mode=1777", "size=65536k"]
                }]
            })
            let hostname = try output(of: ["nsenter", "--target", String(agent.agentPID), "--uts", "hostname"])
            #expect(hostname.trimmingCharacters(in: .whitespacesAndNewlines) == "pod-host")
            #expect(try String(contentsOfFile: agent.stateDirectory + "/sandbox/resolv.conf", encoding: .utf8) == "nameserver 198.18.0.53\nsearch example.test\n")
            #expect(try String(contentsOfFile: "/proc/\(agent.agentPID)/mountinfo", encoding: .utf8).contains(" \(shm) "))
            await #expect(throws: AgentCallError.self) { try await agent.client.createSandbox(Grpc_CreateSandboxRequest()) }
            // DestroySandbox removes containers and unmounts the sandbox storages.
            try await agent.createContainer("in-pod", ["sleep", "1000"])
            try await agent.client.startContainer("in-pod")
            try await agent.client.destroySandbox()
            #expect(!(try String(contentsOfFile: "/proc/\(agent.agentPID)/mountinfo", encoding: .utf8)).contains(" \(shm) "))
            await #expect(throws: AgentCallError.self) { try await agent.client.startContainer("in-pod") }
        }
    }
}
