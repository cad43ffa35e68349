import Agent
import Foundation
import Protocols
import TestSupport
import Testing

/// The agent's `image_guest_pull` storage with the real agent on this host
/// and a real registry (Debian's docker-registry on loopback): the image is
/// pulled and mounted by the agent, the container runs from it, and it is
/// all gone after RemoveContainer.
@Suite(.serialized) struct GuestPullStorageTests {
    static func storage(_ source: String, at mountPoint: String) -> Grpc_Storage {
        Grpc_Storage.with {
            $0.driver = "image_guest_pull"
            $0.source = source
            $0.fstype = "overlay"
            $0.mountPoint = mountPoint
            $0.driverOptions = [#"image_guest_pull={"metadata":{"io.kubernetes.cri.container-type":"container"}}"#]
        }
    }

    @Test(.enabled(if: RegistryServer.isInstalled, "needs Debian's docker-registry"))
    func containerRunsFromThePulledImage() async throws {
        try await withRegistry { registry in
            try registry.push("oci-layout", "local/busybox", "local", [try TestImages.busybox])
            try await HostAgent.with { agent in
                let rootfs = agent.directory + "/pulled/gp/rootfs"
                try await agent.createContainer(
                    "gp", ["sh", "-c", "test -x /bin/busybox && echo pulled-ok > /tmp/w && cat /tmp/w"],
                    storages: [Self.storage("\(registry.address)/local/busybox:local", at: rootfs)], rootPath: rootfs)
                try await agent.client.startContainer("gp")
                let out = try await agent.client.readAll("ReadStdout", container: "gp", exec: "gp")
                #expect(try await agent.client.waitProcess(container: "gp", exec: "gp") == 0)
                #expect(String(decoding: out, as: UTF8.self) == "pulled-ok\n")
                #expect(FileManager.default.fileExists(atPath: agent.stateDirectory + "/image/gp/rootfs/bin/busybox"))
                try await agent.client.removeContainer("gp")
                #expect(!FileManager.default.fileExists(atPath: agent.stateDirectory + "/image/gp"), "the pulled image outlived its container")
            }
        }
    }

    @Test(.enabled(if: RegistryServer.isInstalled, "needs Debian's docker-registry"))
    func unknownImageFailsWithTheRegistrysAnswer() async throws {
        try await withRegistry { registry in
            try await HostAgent.with { agent in
                let rootfs = agent.directory + "/pulled/nope/rootfs"
                do {
                    try await agent.createContainer("nope", ["true"], storages: [Self.storage("\(registry.address)/nope:1", at: rootfs)],
                                                    rootPath: rootfs)
                    Issue.record("a container was created from an image the registry does not have")
                } catch {
                    #expect("\(error)".contains("pull \(registry.address)/nope:1: manifest: 404"), "\(error)")
                }
                #expect(!FileManager.default.fileExists(atPath: agent.stateDirectory + "/image/nope"))
            }
        }
    }

    /// The sandbox's storage has source `pause`: the agent uses the pause
    /// bundle the guest image carries instead of pulling.
    @Test func sandboxRunsFromThePauseBundle() async throws {
        try await HostAgent.with { agent in
            try HostAgent.makeBusyboxRootfs(at: agent.directory + "/pause_bundle/rootfs")
            let rootfs = agent.directory + "/pulled/sb/rootfs"
            try await agent.createContainer("sb", ["sh", "-c", "echo from-the-pause-bundle"],
                                            storages: [Self.storage("pause", at: rootfs)], rootPath: rootfs)
            try await agent.client.startContainer("sb")
            let out = try await agent.client.readAll("ReadStdout", container: "sb", exec: "sb")
            #expect(String(decoding: out, as: UTF8.self) == "from-the-pause-bundle\n")
            _ = try await agent.client.waitProcess(container: "sb", exec: "sb")
            try await agent.client.removeContainer("sb")
        }
    }
}
