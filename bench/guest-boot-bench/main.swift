// Boot-to-agent-ready time of the development guest under TCG: from QEMU's
// launch to the agent's first answer to Health.Check over virtio-serial, for
// the nvdimm image and the initrd, median of N boots, one VM at a time.
import Agent
import ArgumentParser
import Foundation
import TestSupport

@main
struct GuestBootBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guest-boot-bench",
        abstract: "Boot-to-agent-ready time of build/guest (make guest first).")

    @Option(help: "Boots per root.")
    var boots = 5

    func run() async throws {
        print("guest boot to agent ready (QEMU launch -> Health.Check answered over virtio-serial), TCG, \(boots) boots each")
        for root in [GuestVM.Root.nvdimm, .initrd] {
            var samples: [Double] = []
            for _ in 0..<boots {
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
            samples.sort()
            guard !samples.isEmpty else { continue }
            let median = samples[samples.count / 2]
            print(String(format: "%-7@ median %.3f s (min %.3f, max %.3f)", "\(root)", median, samples.first!, samples.last!))
        }
    }
}
