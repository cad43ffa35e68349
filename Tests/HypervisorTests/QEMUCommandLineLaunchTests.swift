import Agent
import Foundation
import Hypervisor
import KataConfig
import TestSupport
import Testing

/// The development form of the command line (hack/dev-config.sh: TCG,
/// virtio-serial, qboot, this tree's guest) run by the real QEMU 7.2: QEMU
/// accepts every argument, runs, has the devices we asked for, and the guest
/// boots far enough for its agent to answer on `agent.channel.0`.
@Suite(.serialized, .timeLimit(.minutes(2))) struct QEMUCommandLineLaunchTests {
    struct Chardev: Decodable { var label: String }

    @Test(arguments: CommandLineFixture.Rootfs.allCases)
    func qemuRunsTheDevelopmentCommandLine(_ rootfs: CommandLineFixture.Rootfs) async throws {
        for file in ["vmlinux", "kata-containers.img", "kata-containers-initrd.img"] {
            try #require(FileManager.default.fileExists(atPath: GuestVM.guestDirectory + "/" + file),
                         "\(GuestVM.guestDirectory)/\(file) is missing: run `make guest` (make test does)")
        }
        try #require(which("qemu-system-x86_64") != nil, "install the Debian package qemu-system-x86 (.ci/run does)")
        let dir = try makeTemporaryDirectory("qemuargv")
        defer { try? FileManager.default.removeItem(atPath: dir) }

        try output(of: ["bash", packageRoot + "/hack/dev-config.sh"] + (rootfs == .initrd ? ["--initrd"] : []) + [dir + "/config"])
        let configuration = try ConfigurationLoader(searchPath: [], environment: [:])
            .load(configPath: dir + "/config/configuration-qemu-coco-dev.toml").configuration
        #expect(configuration.hypervisor.accelerator == .tcg && configuration.hypervisor.agentChannel == .virtioSerial)

        try await DevelopmentGuestLaunch.run(SandboxConfiguration(configuration: configuration), sandboxID: "argv-\(rootfs.rawValue)",
                                             uuid: "6f2d1c3b-4a5e-4f60-8b7a-9c0d1e2f3a4b", directory: dir) { vm, agent, plan in
            let status = try await vm.qmp.queryStatus()
            #expect(status.status == "running" && status.running)
            let chardevs = try await vm.qmp.execute("query-chardev", returning: [Chardev].self).map(\.label)
            #expect(chardevs.contains("charconsole0") && chardevs.contains("charch0"), "\(chardevs)")
            let pid = try String(contentsOfFile: plan.pidFilePath, encoding: .utf8)
            #expect(pid.trimmingCharacters(in: .whitespacesAndNewlines) == String(vm.pid))
            try await agent.waitUntilReady(timeout: .seconds(60))
        }
    }
}
