import Foundation
import TestSupport
import Testing

/// Confidential Containers' guest pull through CRI with the development
/// coco-dev class (TCG, `shared_fs = "none"`): the guest agent pulls the
/// image from a registry in the pod's network (Debian's docker-registry in
/// the test's hub namespace, at the gateway address); containerd reaches the
/// same registry through a mirror on loopback.
@Suite(.serialized) struct GuestPullCRITests {
    /// `experimental_force_guest_pull`: containerd unpacks the image on the
    /// host as usual (no guest-pull snapshotter), yet the container's rootfs
    /// is what the guest pulled; the sandbox runs the guest's pause bundle.
    @Test func forcedGuestPullRunsAPodFromTheRegistry() async throws {
        try await CRITestbed.with(withRegistry: true) { bed in
            let registry = try #require(bed.registry)
            try registry.push("oci-layout", "busybox", "local", [try TestImages.busybox])
            try "[runtime]\nexperimental_force_guest_pull = true\n".write(
                toFile: bed.directory + "/config/config.d/70-force-guest-pull.toml", atomically: true, encoding: .utf8)
            let image = bed.registryReference("busybox:local")
            try await bed.cri(["pull", image])

            let podConfig = try bed.podConfig(name: "gp")
            let pod = try await bed.cri(["runp", "--handler", "kata-qemu-coco-dev", podConfig])
            let container = try await bed.cri(["create", pod, try bed.containerConfig(
                name: "c", script: "echo guest-pulled; cat /etc/hostname; exec sleep 3600", image: image), podConfig])
            try await bed.cri(["start", container])
            try await bed.waitUntil("the container's log", timeout: 120) {
                let lines = bed.logLines(pod: "gp", container: "c")
                return lines.contains("guest-pulled") && lines.contains("gp")
            }
            // The root is the overlay the agent mounted over the pulled image.
            let mounts = try await bed.execSync(container, ["cat", "/proc/self/mountinfo"])
            #expect(mounts.stdout.split(separator: "\n").contains { $0.contains(" / / ") && $0.contains(" - overlay ") }, "\(mounts.stdout)")
            let hosts = try await bed.execSync(container, ["cat", "/etc/hosts"])
            #expect(hosts.stdout.contains("localhost"), "CRI's /etc/hosts did not reach the guest: \(hosts)")
            try await bed.cri(["stop", "--timeout", "0", container])
            try await bed.cri(["rm", container])
            try await bed.cri(["stopp", pod])
            try await bed.cri(["rmp", pod])
        }
    }
}
