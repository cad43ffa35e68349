import Agent
import Foundation
import Protocols
import SwiftProtobuf
import TestSupport
import Testing
import TTRPC

/// The agent in the development guest, booted under TCG the way Kata boots it,
/// driven over virtio-serial with the `Agent` client. One VM at a time.
@Suite(.serialized, .timeLimit(.minutes(3))) struct GuestVMAgentTests {
    static let busybox = "/usr/share/kata-agent/rootfs/busybox"

    /// A container spec on the guest's busybox rootfs.
    static func spec(_ args: [String], namespaces: [String] = ["pid", "ipc", "uts", "mount"], extraMounts: [Grpc_Mount] = []) -> Grpc_Spec {
        Grpc_Spec.with {
            $0.version = "1.0.2"
            $0.process = Grpc_Process.with {
                $0.args = args; $0.env = ["PATH=/bin"]; $0.cwd = "/"
                $0.capabilities = Grpc_LinuxCapabilities.with {
                    let caps = ["CAP_KILL", "CAP_SYS_TIME"]
                    $0.bounding = caps; $0.effective = caps; $0.permitted = caps
                }
            }
            $0.root = Grpc_Root.with { $0.path = busybox; $0.readonly = true }
            if namespaces.contains("uts") { $0.hostname = "ctr" }
            $0.mounts = [
                Grpc_Mount.with { $0.destination = "/proc"; $0.type = "proc"; $0.source = "proc" },
                Grpc_Mount.with { $0.destination = "/dev"; $0.type = "tmpfs"; $0.source = "tmpfs"; $0.options = ["nosuid", "mode=755"] },
                Grpc_Mount.with { $0.destination = "/tmp"; $0.type = "tmpfs"; $0.source = "tmpfs" },
            ] + extraMounts
            $0.linux = Grpc_Linux.with {
                $0.namespaces = namespaces.map { type in Grpc_LinuxNamespace.with { $0.type = type } }
            }
        }
    }

    /// Boots a VM, waits for the agent, runs `body`, and always stops the VM.
    static func withGuest(_ root: GuestVM.Root, kernelParameters: [String] = [],
                          _ body: (AgentClient, GuestVM) async throws -> Void) async throws {
        try await VMSlot.run {
            let vm = try GuestVM(root: root, kernelParameters: kernelParameters)
            let client = AgentClient(endpoint: .unix(path: vm.agentSocket))
            do {
                try await client.waitUntilReady(timeout: .seconds(60))
                try await body(client, vm)
            } catch {
                await client.close()
                let console = vm.consoleLog
                vm.stop()
                throw CommandError(description: "\(error)\nguest console:\n\(console.suffix(3000))")
            }
            await client.close()
            vm.stop()
        }
    }

    static func run(_ client: AgentClient, _ id: String, _ spec: Grpc_Spec) async throws -> (output: String, status: Int32) {
        try await client.createContainer(Grpc_CreateContainerRequest.with { $0.containerID = id; $0.execID = id; $0.oci = spec })
        try await client.startContainer(id)
        let output = try await client.readAll(container: id, exec: id)
        let status = try await client.waitProcess(container: id, exec: id)
        try await client.removeContainer(id)
        return (String(decoding: output, as: UTF8.self), status)
    }

    @Test func nvdimmGuestRunsTheAgentSequence() async throws {
        try await Self.withGuest(.nvdimm, kernelParameters: ["agent.aa_kbc_params=cc_kbc::http://198.18.0.1:8080"]) { client, vm in
            #expect(try await client.check().status == .serving)
            let details = try await client.guestDetails()
            #expect(details.agentDetails.initDaemon, "the agent is the guest's PID 1")
            try await client.createSandbox(Grpc_CreateSandboxRequest.with {
                $0.hostname = "vm-sandbox"; $0.sandboxID = "sb"; $0.dns = ["nameserver 198.18.0.53"]
                $0.storages = [Grpc_Storage.with {
                    $0.driver = "ephemeral"; $0.source = "shm"; $0.fstype = "tmpfs"
                    $0.mountPoint = "/run/kata-containers/sandbox/shm"; $0.options = ["mode=1777", "size=65536k"]
                }]
            })

            // The guest's own kernel, output and a non-zero exit code.
            let first = try await Self.run(client, "c1", Self.spec(["sh", "-c", "uname -r; cat /proc/cmdline; echo out; exit 7"]))
            #expect(first.status == 7)
            let lines = first.output.split(separator: "\n")
            #expect(lines.first.map { $0.hasPrefix("6.1.") } == true, "guest kernel: \(first.output)")
            #expect(first.output.contains("rootflags=dax"), "nvdimm root with DAX: \(first.output)")
            #expect(lines.last == "out")

            // Without a UTS namespace of its own a container sees the sandbox's hostname,
            // and the guest's /etc/resolv.conf carries the sandbox's DNS.
            let hostname = try await Self.run(client, "c2", Self.spec(["sh", "-c", "hostname; cat /run/resolv.conf"], namespaces: ["pid", "ipc", "mount"],
                extraMounts: [Grpc_Mount.with { $0.destination = "/run"; $0.source = "/etc"; $0.type = "bind"; $0.options = ["rbind", "ro"] }]))
            #expect(hostname.output == "vm-sandbox\nnameserver 198.18.0.53\n")

            // agent.* parameters for guest components are in a file under /run.
            let params = try await Self.run(client, "c3", Self.spec(["cat", "/run/agent-params.env"], extraMounts: [
                Grpc_Mount.with { $0.destination = "/run"; $0.source = "/run/kata-containers/guest-components"; $0.type = "bind"; $0.options = ["rbind", "ro"] },
            ]))
            #expect(params.output == "aa_kbc_params=cc_kbc::http://198.18.0.1:8080\n")

            // The agent's vsock listener (port 1024), over the guest's vsock loopback, by the agent binary as a client.
            let vsock = try await Self.run(client, "vsock", Self.spec(["/run/kata-agent", "--check", "vsock://1:1024"], namespaces: ["pid", "mount"], extraMounts: [
                Grpc_Mount.with { $0.destination = "/run"; $0.source = "/usr/bin"; $0.type = "bind"; $0.options = ["rbind", "ro"] },
            ]))
            #expect(vsock.status == 0 && vsock.output.contains("vsock://1:1024: serving"), "\(vsock)")

            // An exec with stdin and stdout into a running container; SignalProcess ends the sleep.
            try await client.createContainer(Grpc_CreateContainerRequest.with { $0.containerID = "box"; $0.execID = "box"; $0.oci = Self.spec(["sleep", "1000"]) })
            try await client.startContainer("box")
            try await client.execProcess(Grpc_ExecProcessRequest.with {
                $0.containerID = "box"; $0.execID = "cat"; $0.process = Self.spec(["cat"]).process
            })
            try await client.writeStdin(container: "box", exec: "cat", Array("through the guest\n".utf8))
            try await client.closeStdin(container: "box", exec: "cat")
            #expect(String(decoding: try await client.readAll(container: "box", exec: "cat"), as: UTF8.self) == "through the guest\n")
            #expect(try await client.waitProcess(container: "box", exec: "cat") == 0)

            // SetGuestDateTime sets the guest's clock (the host's is not touched).
            let target: Int64 = 1_900_000_000
            try await client.setGuestDateTime(seconds: target, microseconds: 0)
            try await client.execProcess(Grpc_ExecProcessRequest.with {
                $0.containerID = "box"; $0.execID = "date"; $0.process = Self.spec(["date", "+%s"]).process
            })
            let date = Int64(String(decoding: try await client.readAll(container: "box", exec: "date"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(date >= target && date < target + 60, "guest clock \(date)")
            #expect(abs(Int64(Date().timeIntervalSince1970) - target) > 3600, "the host clock is untouched")

            try await client.signalProcess(container: "box", exec: "box", signal: SIGKILL)
            #expect(try await client.waitProcess(container: "box", exec: "box") == 137)
            try await client.removeContainer("box")
            try await client.destroySandbox()
        }
    }

    @Test func initrdGuestRunsAContainer() async throws {
        try await Self.withGuest(.initrd) { client, _ in
            #expect(try await client.check().status == .serving)
            let result = try await Self.run(client, "c1", Self.spec(["sh", "-c", "grep -c ' / tmpfs ' /proc/1/mounts; echo from-initrd; exit 2"], namespaces: ["ipc", "uts", "mount"]))
            #expect(result.status == 2)
            #expect(result.output.hasSuffix("from-initrd\n"), "\(result.output)")
        }
    }
}
