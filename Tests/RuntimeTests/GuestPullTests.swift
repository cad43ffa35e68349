import Foundation
import KataConfig
import Protocols
@testable import Runtime
import Testing

/// A rootfs the guest pulls: recognised from the snapshotter's mount (or
/// forced), never mounted on the host, sent to the agent as Kata sends it.
@Suite struct GuestPullTests {
    static func volumeOption(_ json: String) -> String {
        GuestPullVolume.volumeOptionPrefix + Data(json.utf8).base64EncodedString()
    }

    static let snapshotterMount = HostMount(
        type: "fuse.nydus-overlayfs", source: "overlay",
        options: ["workdir=/x", volumeOption("""
            {"volume_type":"image_guest_pull","source":"","fs_type":"overlay","options":[],
             "image_pull":{"metadata":{"containerd.io/snapshot/cri.image-ref":"198.18.7.1:5000/busybox:1",
                                       "containerd.io/snapshot/cri.layer-digest":"sha256:aa"}}}
            """)])

    @Test func recognisesTheSnapshotterVolume() throws {
        let volume = try #require(try GuestPullVolume.from(rootfs: [Self.snapshotterMount], forced: false))
        #expect(volume.metadata["containerd.io/snapshot/cri.image-ref"] == "198.18.7.1:5000/busybox:1")
        // An ordinary overlay is shared from the host, unless guest pull is forced.
        let overlay = HostMount(type: "overlay", source: "overlay", options: ["lowerdir=/a", "upperdir=/b", "workdir=/c"])
        #expect(try GuestPullVolume.from(rootfs: [overlay], forced: false) == nil)
        #expect(try GuestPullVolume.from(rootfs: [overlay], forced: true) == GuestPullVolume())
    }

    @Test func refusesOtherVolumesAndNydusModes() {
        let block = HostMount(type: "bind", source: "/x", options: [Self.volumeOption(#"{"volume_type":"direct_block"}"#)])
        #expect(throws: GuestPullVolume.Invalid.self) { try GuestPullVolume.from(rootfs: [block], forced: false) }
        let garbage = HostMount(type: "bind", source: "/x", options: [GuestPullVolume.volumeOptionPrefix + "%%%"])
        #expect(throws: GuestPullVolume.Invalid.self) { try GuestPullVolume.from(rootfs: [garbage], forced: false) }
        let nydus = HostMount(type: "fuse.nydus-overlayfs", source: "overlay", options: ["lowerdir=/a"])
        #expect(throws: GuestPullVolume.Invalid.self) { try GuestPullVolume.from(rootfs: [nydus], forced: false) }
    }

    static func spec(annotations: [String: String]) -> Grpc_Spec {
        var spec = Grpc_Spec()
        spec.annotations = annotations
        spec.root.path = "rootfs"
        return spec
    }

    static var confidential: KataConfiguration {
        var configuration = KataConfiguration()
        configuration.hypervisor.sharedFS = .none
        return configuration
    }

    @Test func containerStorageIsKatas() throws {
        let volume = try #require(try GuestPullVolume.from(rootfs: [Self.snapshotterMount], forced: false))
        let plan = try GuestContainerPlan(
            spec: Self.spec(annotations: ["io.kubernetes.cri.image-name": "198.18.7.1:5000/busybox:1", "io.kubernetes.cri.container-type": "container"]),
            containerID: "c1", kind: .podContainer(sandboxID: "p1"), bundle: "/b", configuration: Self.confidential,
            guestPull: volume) { _ in true }
        #expect(!plan.sharesRootfs)
        let storage = try #require(plan.storages.first)
        #expect(storage.driver == "image_guest_pull")
        #expect(storage.source == "198.18.7.1:5000/busybox:1")
        #expect(storage.fstype == "overlay")
        #expect(storage.mountPoint == "/run/kata-containers/c1/rootfs")
        #expect(plan.spec.root.path == "/run/kata-containers/c1/rootfs")
        // driver_options: image_guest_pull=<JSON {"metadata": volume metadata + container annotations}>.
        let option = try #require(storage.driverOptions.first)
        #expect(option.hasPrefix("image_guest_pull={"))
        let json = try JSONSerialization.jsonObject(with: Data(option.dropFirst("image_guest_pull=".count).utf8)) as? [String: [String: String]]
        let metadata = try #require(json?["metadata"])
        #expect(metadata["containerd.io/snapshot/cri.layer-digest"] == "sha256:aa")
        #expect(metadata["io.kubernetes.cri.container-type"] == "container")
    }

    @Test func sandboxPullsThePauseImageAndAContainerNeedsItsImageName() throws {
        let sandbox = try GuestContainerPlan(
            spec: Self.spec(annotations: ["io.kubernetes.cri.container-type": "sandbox"]), containerID: "p1", kind: .podSandbox,
            bundle: "/b", configuration: Self.confidential, guestPull: GuestPullVolume()) { _ in true }
        #expect(sandbox.storages.first?.source == "pause")
        do {
            _ = try GuestContainerPlan(spec: Self.spec(annotations: [:]), containerID: "c9", kind: .singleContainer, bundle: "/b",
                                       configuration: Self.confidential, guestPull: GuestPullVolume()) { _ in true }
            Issue.record("a guest pull without an image name was accepted")
        } catch {
            #expect("\(error)".contains("Failed to get image name from annotations"))
        }
        // Without guest pull, a class that shares nothing still refuses a host rootfs.
        #expect(throws: GuestContainerPlan.Unsupported.self) {
            try GuestContainerPlan(spec: Self.spec(annotations: [:]), containerID: "c9", kind: .singleContainer, bundle: "/b",
                                   configuration: Self.confidential) { _ in true }
        }
    }
}
