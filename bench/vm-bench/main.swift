// VM figures of the development guest under TCG, one VM at a time:
// boot-to-agent-ready (QEMU launch -> Health.Check answered over
// virtio-serial) for the nvdimm image and the initrd, and how long after a
// SIGKILL of QEMU the supervisor knows it is gone.
import Agent
import ArgumentParser
import Foundation
import Hypervisor
import TestSupport

@main
struct VMBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm-bench",
        abstract: "Guest boot-to-agent-ready time and QEMU death-detection latency (make guest first).")

    @Option(help: "Boots per root, and kills.")
    var runs = 5

    func run() async throws {
        print("guest boot to agent ready (QEMU launch -> Health.Check answered over virtio-serial), TCG, \(runs) boots each")
        for root in [GuestVM.Root.nvdimm, .initrd] {
            var samples: [Double] = []
            for _ in 0..<runs {
                let start = Date()
                let vm = try GuestVM(root: root)
                let client = AgentClient(endpoint: .unix(path: vm.agentSocket))
                do {
                    try await client.waitUntilReady(timeout: .seconds(60))
                    samples.append(Date().timeIntervalSince(start))
                } catch {
                    print("boot failed: \(error)\n\(vm.consoleLog.suffix(2000))")
                }
                await client.close()
                vm.stop()
            }
            print(summary("\(root)", samples, unit: "s", scale: 1))
        }

        print("QEMU killed with SIGKILL -> VirtualMachine.waitForExit returns")
        var latencies: [Double] = []
        for _ in 0..<runs {
            let dir = try makeTemporaryDirectory("vmbench")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let vm = try await VirtualMachine.launch(VirtualMachine.Launch(
                arguments: ["/usr/bin/qemu-system-x86_64", "-machine", "q35,accel=tcg", "-m", "64M", "-nodefaults", "-nographic",
                            "-qmp", "unix:fd=3,server=on,wait=off", "-bios", "/usr/share/qemu/qboot.rom"],
                runDirectory: dir + "/vm", qmpSocket: dir + "/vm/qmp.sock"))
            let killed = ContinuousClock.now
            kill(vm.pid, SIGKILL)
            _ = await vm.waitForExit()
            let elapsed = ContinuousClock.now - killed
            latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            await vm.stop()
        }
        print(summary("detection", latencies, unit: "ms", scale: 1))
    }

    func summary(_ name: String, _ samples: [Double], unit: String, scale: Double) -> String {
        guard !samples.isEmpty else { return "\(name): no samples" }
        let sorted = samples.sorted()
        return String(format: "%-10@ median %.3f %@ (min %.3f, max %.3f)", name, sorted[sorted.count / 2] * scale, unit, sorted.first! * scale, sorted.last! * scale)
    }
}
