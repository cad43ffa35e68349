import Agent
import Foundation
import Hypervisor
import KataConfig
import TestSupport
import Testing

/// Boots a sandbox configuration through the launcher (sizing, kernel command
/// line, plan, argv, `VirtualMachine.launch`) with the agent on virtio-serial,
/// runs `body`, and stops the VM whatever happens. One VM at a time.
enum DevelopmentGuestLaunch {
    static func run(_ sandbox: SandboxConfiguration, sandboxID: String, uuid: String, directory: String,
                    _ body: (VirtualMachine, AgentClient, SandboxPlan) async throws -> Void) async throws {
        let sizing = SandboxSizing(configuration: sandbox.configuration, workload: WorkloadResources(), host: .probe())
        var plan = SandboxPlan(
            sandboxID: sandboxID, uuid: uuid, runDirectory: directory + "/vm",
            sizing: sizing, kernelParameters: try KernelCommandLine.compose(sandbox, sizing: sizing),
            agent: .virtioSerial(socket: directory + "/vm/agent.sock"))
        if let image = sandbox.configuration.hypervisor.image {
            plan.imageSize = try #require(FileManager.default.attributesOfItem(atPath: image)[.size] as? NSNumber).uint64Value
        }
        let argv = try QEMUCommandLine.arguments(for: sandbox.configuration.hypervisor, plan: plan)
        try await VMSlot.run {
            let vm = try await VirtualMachine.launch(VirtualMachine.Launch(
                arguments: argv, runDirectory: plan.runDirectory, qmpSocket: plan.qmpSocketPath,
                qmpDescriptor: plan.qmpDescriptor, consoleSocket: plan.consoleSocketPath))
            let agent = AgentClient(endpoint: .unix(path: plan.agentSerialSocketPath))
            do {
                try await body(vm, agent, plan)
            } catch {
                await agent.close()
                await vm.stop()
                throw error
            }
            await agent.close()
            await vm.stop()
        }
    }
}
