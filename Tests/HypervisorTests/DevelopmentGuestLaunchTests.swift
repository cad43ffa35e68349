import Agent
import Foundation
import Hypervisor
import KataConfig
import Protocols
import TestSupport
import Testing

/// The launcher end to end: `configuration-qemu-coco-dev.toml` plus the
/// development drop-in (and a drop-in of the test's), a sandbox's
/// `kernel_params` annotation, the composed kernel command line, the argv, QEMU
/// under TCG, QMP, the agent over virtio-serial, and the guest's /proc/cmdline.
@Suite(.serialized, .timeLimit(.minutes(2))) struct DevelopmentGuestLaunchTests {
    @Test func kernelParamsAnnotationReachesTheGuestWithTheOverrideRule() async throws {
        let dir = try makeTemporaryDirectory("devlaunch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try output(of: ["bash", packageRoot + "/hack/dev-config.sh", dir + "/config"])
        try """
        [hypervisor.qemu]
        kernel_params = "agent.aa_kbc_params=cc_kbc::http://198.18.0.1:8080 kshim.origin=configuration kshim.flag"
        """.write(toFile: dir + "/config/config.d/60-test.toml", atomically: true, encoding: .utf8)
        let loaded = try ConfigurationLoader(searchPath: [], environment: [:])
            .load(configPath: dir + "/config/configuration-qemu-coco-dev.toml")
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")

        // The annotation replaces kshim.origin (a key=value) and kshim.flag (a bare key).
        let sandbox = try SandboxAnnotations([
            "io.katacontainers.config.hypervisor.kernel_params": "kshim.origin=annotation kshim.flag=2",
        ]).apply(to: loaded, host: .probe())
        _ = try #require(sandbox.configuration.hypervisor.image, "the development drop-in boots the image")

        try await DevelopmentGuestLaunch.run(sandbox, sandboxID: "devlaunch", uuid: "0b7c2a8e-3d4f-4e5a-9b6c-7d8e9f0a1b2c", directory: dir) { vm, agent, _ in
            #expect(try await vm.qmp.queryStatus().status == "running")
            try await agent.waitUntilReady(timeout: .seconds(60))
            #expect(try await agent.check().status == .serving)
            try await agent.createContainer(Grpc_CreateContainerRequest.with {
                $0.containerID = "cmdline"; $0.execID = "cmdline"
                $0.oci = Grpc_Spec.with {
                    $0.version = "1.0.2"
                    $0.process = Grpc_Process.with { $0.args = ["cat", "/proc/cmdline"]; $0.env = ["PATH=/bin"]; $0.cwd = "/" }
                    $0.root = Grpc_Root.with { $0.path = "/usr/share/kata-agent/rootfs/busybox"; $0.readonly = true }
                    $0.mounts = [
                        Grpc_Mount.with { $0.destination = "/proc"; $0.type = "proc"; $0.source = "proc" },
                        Grpc_Mount.with { $0.destination = "/dev"; $0.type = "tmpfs"; $0.source = "tmpfs"; $0.options = ["nosuid", "mode=755"] },
                    ]
                    $0.linux = Grpc_Linux.with { $0.namespaces = ["pid", "mount"].map { t in Grpc_LinuxNamespace.with { $0.type = t } } }
                }
            })
            try await agent.startContainer("cmdline")
            let cmdline = String(decoding: try await agent.readAll(container: "cmdline", exec: "cmdline"), as: UTF8.self)
            let words = cmdline.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            #expect(words.contains("kshim.origin=annotation") && !words.contains("kshim.origin=configuration"), "\(cmdline)")
            #expect(words.contains("kshim.flag=2") && !words.contains("kshim.flag"), "\(cmdline)")
            #expect(words.contains("agent.aa_kbc_params=cc_kbc::http://198.18.0.1:8080"), "\(cmdline)")
            #expect(words.contains("root=/dev/pmem0p1"), "nvdimm root: \(cmdline)")
            // The annotation's parameters come after the configuration's, as in Kata.
            #expect(words.firstIndex(of: "kshim.origin=annotation")! > words.firstIndex(of: "agent.aa_kbc_params=cc_kbc::http://198.18.0.1:8080")!)
            #expect(try await agent.waitProcess(container: "cmdline", exec: "cmdline") == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/vm"), "nothing of the VM is left")
    }

    @Test func aDisallowedAnnotationFailsWithTheAllowListError() throws {
        let dir = try makeTemporaryDirectory("devlaunch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try output(of: ["bash", packageRoot + "/hack/dev-config.sh", dir + "/config"])
        let loaded = try ConfigurationLoader(searchPath: [], environment: [:])
            .load(configPath: dir + "/config/configuration-qemu-coco-dev.toml")
        do {
            _ = try SandboxAnnotations(["io.katacontainers.config.hypervisor.machine_type": "pc"]).apply(to: loaded, host: .probe())
            Issue.record("expected the allow-list error")
        } catch {
            #expect("\(error)".hasPrefix("annotation io.katacontainers.config.hypervisor.machine_type is not enabled"), "\(error)")
        }
    }
}
