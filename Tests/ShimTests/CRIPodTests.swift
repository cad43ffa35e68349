import Foundation
import TestSupport
import Testing

/// Pods through containerd's CRI plugin, as kubelet runs them with a
/// RuntimeClass whose handler is `kata-qemu`: one VM and one shim per pod,
/// the pod's network inside the VM, logs, exec and stats through CRI.
@Suite(.serialized) struct CRIPodTests {
    @Test func twoContainerPodSharesOneVMAndHasItsNetwork() async throws {
        try await CRITestbed.with { bed in
            let podConfig = try bed.podConfig(name: "p1", annotations: [
                // Forwarded by pod_annotations = ["io.katacontainers.*"], allowed by enable_annotations.
                "io.katacontainers.config.hypervisor.kernel_params": "kata.test=pod-annotation agent.aa_kbc_params=cc_kbc::http://198.18.0.1:8080",
                "not.forwarded": "dropped",
            ])
            let pod = try await bed.cri(["runp", "--handler", "kata-qemu", podConfig])
            let status = try await bed.criJSON(["inspectp", pod])
            let podIP = try #require(((status["status"] as? [String: Any])?["network"] as? [String: Any])?["ip"] as? String)
            #expect(podIP.hasPrefix(String(bed.subnet.split(separator: ".").prefix(3).joined(separator: ".")) + "."))

            let c1 = try await bed.cri(["create", pod, try bed.containerConfig(
                name: "c1", script: "echo hello-from-c1; echo to-stderr >&2; nc -l -p 8080 -e echo served-by-c1; exec sleep 3600"), podConfig])
            try await bed.cri(["start", c1])
            let terminationLog = bed.directory + "/termination-c2"
            FileManager.default.createFile(atPath: terminationLog, contents: nil)
            let c2 = try await bed.cri(["create", pod, try bed.containerConfig(
                name: "c2", script: "echo goodbye-from-c2 > /dev/termination-log; echo c2-up; exec sleep 3600",
                mounts: [["container_path": "/dev/termination-log", "host_path": terminationLog]],
                annotations: ["io.kubernetes.container.terminationMessagePath": "/dev/termination-log"]), podConfig])
            try await bed.cri(["start", c2])

            // Logs reach the CRI log path, both streams.
            try await bed.waitUntil("c1's and c2's log lines") {
                bed.logLines(pod: "p1", container: "c1").contains("hello-from-c1")
                    && bed.logLines(pod: "p1", container: "c1").contains("to-stderr")
                    && bed.logLines(pod: "p1", container: "c2").contains("c2-up")
            }

            // One VM, one shim: the same guest boot id in both containers.
            let boot1 = try await bed.execSync(c1, ["cat", "/proc/sys/kernel/random/boot_id"])
            let boot2 = try await bed.execSync(c2, ["cat", "/proc/sys/kernel/random/boot_id"])
            #expect(boot1.exitCode == 0 && !boot1.stdout.isEmpty)
            #expect(boot1.stdout == boot2.stdout, "the containers run in different guests")
            let processes = bed.containerd.shimProcesses()
            let qemus = processes.filter { KataTestbed.commandLine(of: $0).contains("qemu-system") }
            let shims = processes.filter { pid in
                let program = KataTestbed.commandLine(of: pid).split(separator: " ").first.map(String.init) ?? ""
                return program.contains("containerd-shim-kata") && program.hasSuffix("-v2")
            }
            #expect(qemus.count == 1, "QEMU processes: \(qemus)")
            #expect(shims.count == 1, "shims: \(processes.map(KataTestbed.commandLine(of:)))")
            #expect(try String(contentsOfFile: terminationLog, encoding: .utf8) == "goodbye-from-c2\n")

            // The guest's eth0 carries the pod IP, with the hub as default route;
            // the pod annotation reached the guest kernel's command line.
            let address = try await bed.execSync(c1, ["ip", "-o", "-4", "addr", "show", "eth0"])
            #expect(address.stdout.contains("inet \(podIP)/24"), "\(address)")
            let routes = try await bed.execSync(c1, ["ip", "route"])
            #expect(routes.stdout.contains("default via \(bed.gateway)"), "\(routes)")
            let cmdline = try await bed.execSync(c1, ["cat", "/proc/cmdline"])
            #expect(cmdline.stdout.contains("kata.test=pod-annotation"))
            #expect(cmdline.stdout.contains("agent.aa_kbc_params=cc_kbc::http://198.18.0.1:8080"), "\(cmdline.stdout)")
            #expect(!cmdline.stdout.contains("dropped"))
            // Sized as configured: default_memory = 512 (containerd 1.6 sends
            // no io.kubernetes.cri.sandbox-* annotations to add to it).
            let meminfo = try await bed.execSync(c1, ["sh", "-c", "awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo"])
            let totalMiB = Int(meminfo.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect((384...512).contains(totalMiB), "guest MemTotal \(totalMiB) MiB")

            // Another network namespace reaches a port served in the container.
            let reply = try await NIOOffPool.run { [hub = bed.hub] in
                try run(["ip", "netns", "exec", hub, "python3", "-c", """
                    import socket, time
                    for attempt in range(50):
                        try:
                            s = socket.create_connection(("\(podIP)", 8080), timeout=5); break
                        except OSError:
                            time.sleep(0.2)
                    print(s.recv(100).decode().strip())
                    """], timeout: 60, package: "python3")
            }
            #expect(reply.output.contains("served-by-c1"), "\(reply.output)")

            // ExecSync and streaming exec (WebSocket) with stdin and exit codes.
            let failing = try await bed.execSync(c1, ["sh", "-c", "echo out; echo err >&2; exit 3"])
            #expect(failing.stdout == "out\n" && failing.stderr == "err\n" && failing.exitCode == 3)
            let streamed = try await bed.criJSON(["exec", c1, "--stdin", "line-one\nline-two\n", "--", "head", "-n", "1"])
            #expect(streamed["stdout"] as? String == "line-one\n")
            #expect(streamed["exit_code"] as? Int == 0)
            let streamedFailure = try await bed.criJSON(["exec", c2, "--", "sh", "-c", "echo s-out; echo s-err >&2; exit 4"])
            #expect(streamedFailure["stdout"] as? String == "s-out\n")
            #expect(streamedFailure["stderr"] as? String == "s-err\n")
            #expect(streamedFailure["exit_code"] as? Int == 4)

            // Container stats through the shim's Stats.
            let stats = try #require((try await bed.criJSON(["stats", c1]))["stats"] as? [String: Any])
            let cpu = (stats["cpu"] as? [String: Any])?["usage_core_nano_seconds"] as? [String: Any]
            let memory = (stats["memory"] as? [String: Any])?["working_set_bytes"] as? [String: Any]
            #expect(UInt64(cpu?["value"] as? String ?? "0") ?? 0 > 0, "\(stats)")
            #expect(UInt64(memory?["value"] as? String ?? "0") ?? 0 > 0, "\(stats)")

            // The shim's management socket serves Prometheus text with shim,
            // QEMU and agent figures, through `kata-runtime metrics`.
            let metrics = try await NIOOffPool.run {
                try run([packageRoot + "/.build/debug/kata-runtime", "metrics", pod], timeout: 30)
            }
            #expect(metrics.succeeded, "\(metrics.output)")
            for family in ["kata_shim_threads", "kata_hypervisor_fds", "kata_agent_containers"] {
                #expect(metrics.output.split(separator: "\n").contains { $0.hasPrefix(family + " ") || $0.hasPrefix(family + "{") },
                        "no \(family) in /metrics")
            }
            #expect(FileManager.default.fileExists(atPath: "/run/vc/sbs/\(pod)/shim-monitor.sock"))

            // Stop (PID 1 ignores SIGTERM: SIGKILL after the grace period) and remove.
            try await bed.cri(["stop", "--timeout", "1", c2])
            let stopped = try #require((try await bed.criJSON(["inspect", c2]))["status"] as? [String: Any])
            #expect(stopped["state"] as? String == "CONTAINER_EXITED")
            #expect(stopped["exit_code"] as? Int == 137)
            try await bed.cri(["rm", c2])
            let still = try await bed.execSync(c1, ["echo", "c1-still-here"])
            #expect(still.stdout == "c1-still-here\n", "removing c2 disturbed c1")
            try await bed.cri(["stop", "--timeout", "0", c1])
            try await bed.cri(["rm", c1])
            try await bed.cri(["stopp", pod])
            try await bed.cri(["rmp", pod])
        }
    }

    /// An annotation the configuration does not allow fails the pod with
    /// the allow-list error (the key and the fix), before any VM starts.
    @Test func annotationOutsideTheAllowListFailsThePod() async throws {
        try await CRITestbed.with { bed in
            try "[hypervisor.qemu]\nenable_annotations = []\n".write(
                toFile: bed.directory + "/config/config.d/70-no-annotations.toml", atomically: true, encoding: .utf8)
            let config = try bed.podConfig(name: "strict", annotations: [
                "io.katacontainers.config.hypervisor.kernel_params": "agent.aa_kbc_params=cc_kbc::http://198.18.0.1:8080",
            ])
            do {
                let pod = try await bed.cri(["runp", "--handler", "kata-qemu", config])
                Issue.record("a pod with a disallowed annotation started: \(pod)")
            } catch {
                #expect("\(error)".contains("annotation io.katacontainers.config.hypervisor.kernel_params is not enabled: add \"kernel_params\" to enable_annotations"),
                        "\(error)")
            }
        }
    }

    /// Kata cannot give a VM the host's interfaces: a hostNetwork pod fails
    /// with Kata's message, and nothing is left.
    @Test func hostNetworkPodIsRefused() async throws {
        try await CRITestbed.with { bed in
            let config = try bed.podConfig(name: "hostnet", hostNetwork: true)
            do {
                let pod = try await bed.cri(["runp", "--handler", "kata-qemu", config])
                Issue.record("a hostNetwork pod started: \(pod)")
            } catch {
                #expect("\(error)".contains("Host networking requested, not supported by runtime"), "\(error)")
            }
        }
    }

    /// `io.katacontainers.config.agent.policy` (base64 Rego, set before
    /// CreateSandbox) with Kata's allow-all-except-exec-process policy: exec
    /// is refused with a readable one-line error, logs and stop still work.
    @Test func policyAnnotationBlocksExec() async throws {
        try await CRITestbed.with { bed in
            let rego = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/configuration/policies/allow-all-except-exec-process.rego"))
            let podConfig = try bed.podConfig(name: "policy", annotations: [
                "io.katacontainers.config.agent.policy": rego.base64EncodedString(),
            ])
            let pod = try await bed.cri(["runp", "--handler", "kata-qemu", podConfig])
            let container = try await bed.cri(["create", pod, try bed.containerConfig(
                name: "c", script: "echo policy-pod-up; exec sleep 3600"), podConfig])
            try await bed.cri(["start", container])
            try await bed.waitUntil("the container's log") {
                bed.logLines(pod: "policy", container: "c").contains("policy-pod-up")
            }
            do {
                let output = try await bed.cri(["exec-sync", container, "--timeout", "30", "--", "true"])
                Issue.record("ExecSync was allowed: \(output)")
            } catch {
                // One line, as containerd hands it to kubelet.
                let message = "\(error)".components(separatedBy: "cri.py exec-sync: ").last ?? "\(error)"
                #expect(message.contains("ExecProcessRequest is blocked by policy"), "\(message)")
                #expect(!message.trimmingCharacters(in: .whitespacesAndNewlines).contains("\n"), "\(message)")
            }
            // Streaming exec: the refusal comes back on the status channel.
            let streamed = try await bed.criJSON(["exec", container, "--", "true"])
            let status = try #require(streamed["status"] as? [String: Any])
            #expect(status["status"] as? String == "Failure")
            #expect((status["message"] as? String ?? "").contains("ExecProcessRequest is blocked by policy"), "\(status)")
            let stats = try await bed.criJSON(["stats", container])
            #expect(stats["stats"] != nil)
            try await bed.cri(["stop", "--timeout", "0", container])
            try await bed.cri(["rm", container])
            try await bed.cri(["stopp", pod])
            try await bed.cri(["rmp", pod])
        }
    }

    /// What the node installer does, end to end: `kata-runtime install` puts
    /// the shim and the configuration under a prefix, adds the kata-qemu
    /// handler to a containerd 1.6 config and links the shim onto
    /// containerd's PATH; that containerd runs a pod with the handler; and
    /// `kata-runtime uninstall` gives the config back byte for byte.
    @Test func installedHandlerRunsAPod() async throws {
        let kataRuntime = packageRoot + "/.build/debug/kata-runtime"
        let original = LockedBox<[UInt8]>([])
        try await CRITestbed.with(handlers: "", prepare: { config, directory in
            original.value = Array(try Data(contentsOf: URL(fileURLWithPath: config)))
            // The source tree, shaped like the prefix (what the installer image carries).
            let source = directory + "/artifacts"
            let defaults = source + "/share/defaults/kata-containers"
            try FileManager.default.createDirectory(atPath: source + "/bin", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: defaults, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: KataTestbed.shimBinary, toPath: source + "/bin/containerd-shim-kata-v2")
            try FileManager.default.copyItem(atPath: packageRoot + "/configuration/configuration-qemu.toml",
                                             toPath: defaults + "/configuration-qemu.toml")
            let installed = try run([kataRuntime, "install", "--source", source, "--prefix", directory + "/opt/kata",
                                     "--containerd-config", config, "--handlers", "kata-qemu",
                                     "--shim-link-dir", directory + "/shims"], timeout: 60)
            try #require(installed.succeeded, "kata-runtime install: \(installed.output)")
            let again = try run([kataRuntime, "install", "--source", source, "--prefix", directory + "/opt/kata",
                                 "--containerd-config", config, "--handlers", "kata-qemu",
                                 "--shim-link-dir", directory + "/shims"], timeout: 60)
            #expect(again.succeeded, "\(again.output)")
            // This host needs the development overlay (TCG, virtio-serial, build/guest).
            let overlay = try run(["bash", packageRoot + "/hack/dev-config.sh", directory + "/dev"], timeout: 30)
            try #require(overlay.succeeded, "\(overlay.output)")
            try FileManager.default.createDirectory(atPath: directory + "/opt/kata/share/defaults/kata-containers/config.d",
                                                    withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: directory + "/dev/config.d/50-dev-host.toml",
                                             toPath: directory + "/opt/kata/share/defaults/kata-containers/config.d/50-dev-host.toml")
        }) { bed in
            let config = try String(contentsOfFile: bed.containerd.configPath, encoding: .utf8)
            #expect(config.contains("ConfigPath = \"\(bed.directory)/opt/kata/share/defaults/kata-containers/configuration-qemu.toml\""))
            let podConfig = try bed.podConfig(name: "installed")
            let pod = try await bed.cri(["runp", "--handler", "kata-qemu", podConfig])
            let container = try await bed.cri(["create", pod, try bed.containerConfig(
                name: "c", script: "echo installed-handler-ok; uname -r; exec sleep 3600"), podConfig])
            try await bed.cri(["start", container])
            let release = try KataTestbed.guestKernelRelease()
            try await bed.waitUntil("the container's log") {
                let lines = bed.logLines(pod: "installed", container: "c")
                return lines.contains("installed-handler-ok") && lines.contains(release)
            }
            // The shim serving the pod is the installed copy (found through the link).
            let programs = bed.containerd.shimProcesses().compactMap { pid -> String? in
                guard let program = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") else { return nil }
                return program.replacingOccurrences(of: " (deleted)", with: "")
            }
            #expect(programs.contains(bed.directory + "/opt/kata/bin/containerd-shim-kata-v2"), "\(programs)")
            try await bed.cri(["stop", "--timeout", "0", container])
            try await bed.cri(["rm", container])
            try await bed.cri(["stopp", pod])
            try await bed.cri(["rmp", pod])

            try FileManager.default.removeItem(atPath: bed.directory + "/opt/kata/share/defaults/kata-containers/config.d")
            let removed = try run([kataRuntime, "uninstall", "--prefix", bed.directory + "/opt/kata"], timeout: 60)
            #expect(removed.succeeded, "\(removed.output)")
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: bed.containerd.configPath))) == original.value,
                    "containerd's config is not the original after uninstall")
            #expect(!FileManager.default.fileExists(atPath: bed.directory + "/opt"))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.directory + "/shims")) ?? []).isEmpty)
        }
    }
}

/// A value a non-async closure fills in for the test to read later.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
