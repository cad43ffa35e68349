import Foundation
import TestSupport
import Testing

/// Confidential Containers' guest pull through CRI with the development
/// coco-dev class (TCG, `shared_fs = "none"`): the guest agent pulls the
/// image from a registry in the pod's network (Debian's docker-registry in
/// the test's hub namespace, at the gateway address); containerd reaches the
/// same registry through a mirror on loopback.
@Suite(.serialized) struct GuestPullCRITests {
    /// The whole confidential flow: CRI pulls the image through
    /// `kata-snapshotter` (the layers are recorded, never fetched), the
    /// container's rootfs is a Kata `image_guest_pull` volume, the guest
    /// pulls the image itself. Afterwards containerd's content store has the
    /// manifest and config but no layer, no host snapshotter has a snapshot,
    /// and the file only the image's last layer holds is nowhere on the host.
    @Test func guestPullKeepsTheImageOffTheHost() async throws {
        try await CRITestbed.with(withGuestPullSnapshotter: true) { bed in
            let registry = try #require(bed.registry)
            let marker = "/kata-guest-only-\(UUID().uuidString.prefix(8).lowercased()).txt"
            let pushed = try registry.push("with-marker", "busybox-marked", "1", [try TestImages.busybox, marker])
            let digests = try #require(try JSONSerialization.jsonObject(with: Data(pushed.utf8)) as? [String: Any])
            let layers = try #require(digests["layers"] as? [String])
            let image = bed.registryReference("busybox-marked:1")
            try await bed.cri(["pull", image])

            let podConfig = try bed.podConfig(name: "gpo")
            let pod = try await bed.cri(["runp", "--handler", "kata-qemu-coco-dev", podConfig])
            let container = try await bed.cri(["create", pod, try bed.containerConfig(
                name: "c", script: "cat \(marker); exec sleep 3600", image: image), podConfig])
            try await bed.cri(["start", container])
            try await bed.waitUntil("the marker in the container's log", timeout: 120) {
                bed.logLines(pod: "gpo", container: "c").contains("guest-only \(marker)")
            }

            // The blobs' digests (first column; the labels name the layers as GC references).
            let content = try await bed.ctrK8s(["content", "ls"])
            let blobs = Set(content.split(separator: "\n").dropFirst().compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) })
            #expect(blobs.contains(digests["manifest"] as? String ?? "?"), "\(content)")
            #expect(blobs.contains(digests["config"] as? String ?? "?"), "\(content)")
            for layer in layers { #expect(!blobs.contains(layer), "layer \(layer) is in containerd's content store:\n\(content)") }
            let overlay = try await bed.ctrK8s(["snapshots", "--snapshotter", "overlayfs", "ls"])
            #expect(overlay.split(separator: "\n").count <= 1, "host snapshots: \(overlay)")
            let name = String(marker.dropFirst())
            let found = try await NIOOffPool.run { [containerd = bed.containerd, storage = registry.storage] in
                // find's complaints (directories other tests remove meanwhile) go to /dev/null.
                try run(["sh", "-c", "find \"$@\" 2>/dev/null; true", "find",
                         containerd.root, containerd.state, "/run", "/var/lib", "/tmp", "-xdev",
                         "(", "-path", storage, "-o", "-path", packageRoot + "/build", ")", "-prune", "-o", "-name", name, "-print"],
                        timeout: 120).output
            }
            #expect(found.split(separator: "\n").isEmpty, "the image's file is on the host: \(found)")

            try await bed.cri(["stop", "--timeout", "0", container])
            try await bed.cri(["rm", container])
            try await bed.cri(["stopp", pod])
            try await bed.cri(["rmp", pod])
        }
    }

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

    /// The guest's pull fails: an image the registry no longer has, then the
    /// registry down. StartContainer (which creates the task) fails at once with a message naming
    /// the image and what the registry answered; the pod carries on, and
    /// nothing is left afterwards.
    @Test func guestPullFailuresNameTheImage() async throws {
        try await CRITestbed.with(withGuestPullSnapshotter: true) { bed in
            let registry = try #require(bed.registry)
            try registry.push("oci-layout", "busybox", "local", [try TestImages.busybox])
            // Another image than busybox: CRI names a container's image by its
            // first tag, so a copy of busybox would be pulled as busybox.
            try registry.push("two-layer", "gone", "local")
            let busybox = bed.registryReference("busybox:local"), gone = bed.registryReference("gone:local")
            try await bed.cri(["pull", busybox])
            try await bed.cri(["pull", gone])
            // containerd has its manifest and config; the registry forgets it.
            try FileManager.default.removeItem(atPath: registry.storage + "/docker/registry/v2/repositories/gone")

            let podConfig = try bed.podConfig(name: "gpf")
            let pod = try await bed.cri(["runp", "--handler", "kata-qemu-coco-dev", podConfig])
            let started = Date()
            let unknown = try await bed.cri(["create", pod, try bed.containerConfig(name: "unknown", script: "true", image: gone), podConfig])
            do {
                try await bed.cri(["start", unknown])
                Issue.record("a container started from an image the registry does not have")
            } catch {
                #expect("\(error)".contains("pull \(gone): manifest: 404"), "\(error)")
            }
            #expect(Date().timeIntervalSince(started) < 60)
            try await bed.cri(["rm", unknown])

            registry.stop()
            let down = try await bed.cri(["create", pod, try bed.containerConfig(name: "down", script: "true", image: busybox), podConfig])
            do {
                try await bed.cri(["start", down])
                Issue.record("a container started with the registry down")
            } catch {
                #expect("\(error)".contains("registry \(bed.gateway):5000 unreachable"), "\(error)")
                #expect("\(error)".contains(busybox), "\(error)")
            }
            try await bed.cri(["rm", down])
            // The pod is still there (protobuf's JSON leaves out the default, SANDBOX_READY).
            let status = try await bed.criJSON(["inspectp", pod])
            #expect((status["status"] as? [String: Any])?["state"] as? String ?? "SANDBOX_READY" == "SANDBOX_READY")
            try await bed.cri(["stopp", pod])
            try await bed.cri(["rmp", pod])
        }
    }

    /// Kata's allow-all-except-exec-process policy on a guest-pulled coco-dev
    /// pod, given as the policy annotation and then through `cc_init_data`
    /// (the initdata disk the agent reads before serving): exec is refused
    /// with `ExecProcessRequest is blocked by policy`; logs and stop work.
    @Test func policyBlocksExecInAGuestPulledPod() async throws {
        try await CRITestbed.with(withGuestPullSnapshotter: true) { bed in
            let registry = try #require(bed.registry)
            try registry.push("oci-layout", "busybox", "local", [try TestImages.busybox])
            let image = bed.registryReference("busybox:local")
            try await bed.cri(["pull", image])
            let rego = try String(contentsOfFile: packageRoot + "/configuration/policies/allow-all-except-exec-process.rego", encoding: .utf8)
            let initdata = "version = \"0.1.0\"\nalgorithm = \"sha256\"\n\n[data]\n\"policy.rego\" = \'\'\'\n\(rego)\'\'\'\n"
            let gzipped = try run(["sh", "-c", "gzip -c -n | base64 -w0"], input: Data(initdata.utf8), timeout: 30)
            try #require(gzipped.succeeded)
            let ways = [
                ("annotation", ["io.katacontainers.config.agent.policy": Data(rego.utf8).base64EncodedString()]),
                ("initdata", ["io.katacontainers.config.hypervisor.cc_init_data": gzipped.output.trimmingCharacters(in: .whitespacesAndNewlines)]),
            ]
            for (name, annotations) in ways {
                let podConfig = try bed.podConfig(name: "pol-" + name, annotations: annotations)
                let pod = try await bed.cri(["runp", "--handler", "kata-qemu-coco-dev", podConfig])
                let container = try await bed.cri(["create", pod, try bed.containerConfig(
                    name: "c", script: "echo policy-\(name); exec sleep 3600", image: image), podConfig])
                try await bed.cri(["start", container])
                try await bed.waitUntil("the log of the pod with the policy by \(name)", timeout: 120) {
                    bed.logLines(pod: "pol-" + name, container: "c").contains("policy-\(name)")
                }
                do {
                    let output = try await bed.cri(["exec-sync", container, "--timeout", "30", "--", "true"])
                    Issue.record("exec was allowed with the policy by \(name): \(output)")
                } catch {
                    #expect("\(error)".contains("ExecProcessRequest is blocked by policy"), "\(name): \(error)")
                }
                try await bed.cri(["stop", "--timeout", "0", container])
                try await bed.cri(["rm", container])
                try await bed.cri(["stopp", pod])
                try await bed.cri(["rmp", pod])
            }
        }
    }
}
