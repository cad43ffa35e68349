import Foundation
import TestSupport
import Testing

/// containerd's CRI plugin driven as kubelet drives it: a private containerd
/// 1.6 with CRI on, the runtime handler `kata-qemu` (this build's shim, the
/// development configuration), pod networks from `hack/cni/netns-veth` in a
/// "hub" network namespace of the test's own (198.18.0.0/15 addresses; the
/// host's interfaces are never touched), and `hack/cri/cri.py` as the CRI
/// client. One at a time (VMs); afterwards nothing of ours may remain.
final class CRITestbed: @unchecked Sendable {
    let containerd: PrivateContainerd
    let directory: String
    /// The test's network namespace (a name under /run/netns): the other end
    /// of every pod's veth.
    let hub: String
    let subnet: String
    let gateway: String
    var cniDataDirectory: String { directory + "/cni/data" }
    var logDirectory: String { directory + "/logs" }
    var endpoint: String { "unix://" + containerd.socket }
    /// Network namespaces that existed before (containerd adds `cni-*` per pod).
    private let namespacesBefore: Set<String>
    /// A registry in the hub (port 5000 of the gateway address, which pods
    /// reach), when the test asked for one; containerd reaches it through a
    /// mirror on loopback.
    let registry: RegistryServer?

    private init(containerd: PrivateContainerd, directory: String, hub: String, subnet: String, gateway: String,
                 namespacesBefore: Set<String>, registry: RegistryServer?) {
        self.registry = registry
        self.containerd = containerd
        self.directory = directory
        self.hub = hub
        self.subnet = subnet
        self.gateway = gateway
        self.namespacesBefore = namespacesBefore
    }

    static func networkNamespaces() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
    }

    /// The CRI section for containerd 1.6 (config version 2): sandbox image,
    /// streaming on loopback, the CNI plugin, and runtime handlers.
    /// - Parameter guestPull: the guest-pull snapshotter's socket: it becomes
    ///   CRI's snapshotter (with the image labels it needs) and the sandbox
    ///   image comes from the registry (`pauseImage`).
    static func criConfig(directory: String, handlers: String, mirror: (host: String, endpoint: String)? = nil,
                          guestPull: (socket: String, pauseImage: String)? = nil) -> String {
        let mirrors = mirror.map { """
              [plugins."io.containerd.grpc.v1.cri".registry.mirrors."\($0.host)"]
                endpoint = ["http://\($0.endpoint)"]
            """ } ?? ""
        return """
        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "\(guestPull?.pauseImage ?? TestImages.pauseReference)"
          stream_server_address = "127.0.0.1"
          stream_server_port = "0"
          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "\(guestPull == nil ? "overlayfs" : Self.guestPullSnapshotter)"
            disable_snapshot_annotations = \(guestPull == nil)
            default_runtime_name = "runc"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
        \(handlers)
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "\(directory)/cni/bin"
            conf_dir = "\(directory)/cni/conf"
            max_conf_num = 1
        \(mirrors)
        \(guestPull.map { """
            [proxy_plugins."\(Self.guestPullSnapshotter)"]
              type = "snapshot"
              address = "\($0.socket)"
            """ } ?? "")
        """
    }

    /// The name containerd knows `kata-snapshotter` by.
    static let guestPullSnapshotter = "kata-guest-pull"

    /// A handler (`kata-qemu`, `kata-qemu-coco-dev`) with this build's shim
    /// and `configPath`. containerd 1.6 finds the shim from runtime_type
    /// alone (`containerd-shim-<handler>-v2` on its PATH), 1.7+ from runtime_path.
    static func kataHandler(_ name: String, configPath: String) -> String {
        """
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.\(name)]
              runtime_type = "io.containerd.\(name).v2"
              runtime_path = "\(KataTestbed.shimBinary)"
              privileged_without_host_devices = true
              pod_annotations = ["io.katacontainers.*"]
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.\(name).options]
                ConfigPath = "\(configPath)"
        """
    }

    /// `<gateway>:5000/<name>`: an image in the hub's registry, by the
    /// reference both containerd (through its mirror) and the guest use.
    func registryReference(_ name: String) -> String { "\(gateway):\(RegistryServer.namespacePort)/\(name)" }

    /// Runs `body` with a fresh testbed while holding the VM slot.
    /// - Parameters:
    ///   - handlers: runtime handler tables for the CRI config; nil means
    ///     `kata-qemu` with this build's shim and the development configuration.
    ///   - prepare: edits containerd's config before it starts (the installer
    ///     test), given the config's path and the testbed's directory, whose
    ///     `shims/` is first on containerd's PATH.
    ///   - withRegistry: a registry in the hub (`registry`, `registryReference`).
    ///   - withGuestPullSnapshotter: `kata-snapshotter` as CRI's snapshotter
    ///     (implies the registry, which then also holds the pause image); no
    ///     image is imported, so no layer is ever on the host.
    static func with(handlers: String? = nil, withRegistry: Bool = false, withGuestPullSnapshotter: Bool = false,
                     prepare: ((String, _ directory: String) throws -> Void)? = nil,
                     _ body: (CRITestbed) async throws -> Void) async throws {
        try await VMSlot.run {
            let directory = try makeTemporaryDirectory("cri")
            let suffix = String(UUID().uuidString.prefix(6)).lowercased()
            let hub = "kt-hub-" + suffix
            let octet = Int.random(in: 2...250)
            let subnet = "198.18.\(octet).0/24"
            let gateway = "198.18.\(octet).1"
            let namespacesBefore = networkNamespaces()
            // libcni's result cache, which containerd makes on first use.
            let cniCacheExisted = FileManager.default.fileExists(atPath: "/var/lib/cni")
            var containerd: PrivateContainerd?
            var registry: RegistryServer?
            var snapshotter: BackgroundProcess?
            defer {
                containerd?.destroy()
                snapshotter?.stop()
                registry?.stop()
                if !cniCacheExisted {
                    _ = rmdir("/var/lib/cni/results")
                    _ = rmdir("/var/lib/cni")
                }
                _ = try? run(["ip", "netns", "del", hub], timeout: 10, package: "iproute2")
                try? FileManager.default.removeItem(atPath: directory)
            }
            let created = try run(["ip", "netns", "add", hub], timeout: 10, package: "iproute2")
            try #require(created.succeeded, "ip netns add \(hub): \(created.output)")
            _ = try run(["ip", "-n", hub, "link", "set", "lo", "up"], timeout: 10, package: "iproute2")
            if withRegistry || withGuestPullSnapshotter { registry = try await RegistryServer(namespace: hub) }
            var guestPull: (socket: String, pauseImage: String)?
            if withGuestPullSnapshotter, let registry {
                try registry.push("oci-layout", "pause", "local", [try TestImages.pause])
                let socket = directory + "/snapshotter.sock"
                let started = try BackgroundProcess(
                    [packageRoot + "/.build/debug/kata-snapshotter", "--root", directory + "/snapshotter", "--address", socket],
                    logPath: directory + "/snapshotter.log")
                snapshotter = started
                try await started.waitFor("kata-snapshotter's socket", timeout: 30) { FileManager.default.fileExists(atPath: socket) }
                guestPull = (socket, "\(gateway):\(RegistryServer.namespacePort)/pause:local")
            }

            // The CNI plugin, also as `loopback` (containerd always runs one).
            let bin = directory + "/cni/bin", conf = directory + "/cni/conf"
            for path in [bin, conf, directory + "/cni/data", directory + "/logs", directory + "/shims"] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
            let plugin = packageRoot + "/hack/cni/netns-veth"
            try FileManager.default.createSymbolicLink(atPath: bin + "/netns-veth", withDestinationPath: plugin)
            try FileManager.default.createSymbolicLink(atPath: bin + "/loopback", withDestinationPath: plugin)
            let network: [String: Any] = [
                "cniVersion": "0.4.0", "name": "kata-test",
                "plugins": [["type": "netns-veth", "hub": hub, "subnet": subnet, "gateway": gateway,
                             "dataDir": directory + "/cni/data"]],
            ]
            try JSONSerialization.data(withJSONObject: network).write(to: URL(fileURLWithPath: conf + "/10-kata-test.conflist"))

            var handlerTables = handlers ?? ""
            if handlers == nil {
                let written = try run(["bash", packageRoot + "/hack/dev-config.sh", directory + "/config"], timeout: 30, package: "bash")
                try #require(written.succeeded, "hack/dev-config.sh: \(written.output)")
                handlerTables = kataHandler("kata-qemu", configPath: directory + "/config/configuration-qemu.toml") + "\n"
                    + kataHandler("kata-qemu-coco-dev", configPath: directory + "/config/configuration-qemu-coco-dev.toml")
                for name in ["kata-qemu", "kata-qemu-coco-dev"] {
                    try FileManager.default.createSymbolicLink(atPath: directory + "/shims/containerd-shim-\(name)-v2",
                                                               withDestinationPath: KataTestbed.shimBinary)
                }
            }
            let mirror = registry.map { (host: "\(gateway):\(RegistryServer.namespacePort)", endpoint: $0.address) }
            let started = try await PrivateContainerd(
                extraConfig: criConfig(directory: directory, handlers: handlerTables, mirror: mirror, guestPull: guestPull), cri: true,
                pathDirectories: [directory + "/shims"], prepare: prepare.map { edit in { try edit($0, directory) } })
            containerd = started
            started.track(namespace: "k8s.io")
            if guestPull == nil { try await started.importImages(namespaces: ["k8s.io"]) }
            let testbed = CRITestbed(containerd: started, directory: directory, hub: hub, subnet: subnet,
                                     gateway: gateway, namespacesBefore: namespacesBefore, registry: registry)
            do {
                try await body(testbed)
            } catch {
                print("containerd log:\n\(started.log.suffix(8000))")
                // Pods a failed test left: through CRI, so that CNI and
                // containerd undo their network namespaces and state too.
                await testbed.removeAllPods()
                throw error
            }
            try await testbed.expectNothingLeft()
        }
    }

    /// Stops and removes every pod (best effort).
    func removeAllPods() async {
        let pods = ((try? await cri(["pods"])) ?? "").split(separator: "\n").map(String.init)
        for pod in pods where !pod.isEmpty {
            _ = try? await cri(["stopp", pod])
            _ = try? await cri(["rmp", pod])
        }
    }

    // MARK: The CRI client

    /// `hack/cri/cri.py --endpoint … arguments`, off the cooperative pool.
    @discardableResult
    func cri(_ arguments: [String], timeout: TimeInterval = 240) async throws -> String {
        let command = ["python3", packageRoot + "/hack/cri/cri.py", "--endpoint", endpoint] + arguments
        let result = try await NIOOffPool.run { try run(command, timeout: timeout, package: "python3") }
        guard result.succeeded else {
            throw CommandError(description: "cri.py \(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `ctr -n k8s.io …` (CRI's namespace): its output.
    func ctrK8s(_ arguments: [String]) async throws -> String {
        let result = try await NIOOffPool.run { [containerd] in try containerd.ctr(arguments, namespace: "k8s.io", timeout: 60) }
        guard result.succeeded else { throw CommandError(description: "ctr \(arguments.joined(separator: " ")): \(result.output)") }
        return result.output
    }

    /// The command's JSON output as a dictionary.
    func criJSON(_ arguments: [String]) async throws -> [String: Any] {
        let text = try await cri(arguments)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text)")
    }

    /// Writes a CRI config (PodSandboxConfig or ContainerConfig, JSON mapping) into the testbed.
    func writeConfig(_ name: String, _ object: [String: Any]) throws -> String {
        let path = directory + "/" + name + ".json"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A pod's PodSandboxConfig.
    func podConfig(name: String, annotations: [String: String] = [:], hostNetwork: Bool = false) throws -> String {
        var linux: [String: Any] = [:]
        if hostNetwork { linux["security_context"] = ["namespace_options": ["network": "NODE"]] }
        return try writeConfig("pod-" + name, [
            "metadata": ["name": name, "namespace": "default", "uid": "uid-" + name, "attempt": 1],
            "hostname": name, "log_directory": logDirectory + "/" + name,
            "annotations": annotations, "linux": linux,
        ])
    }

    /// A busybox container's ContainerConfig running `sh -c script`.
    func containerConfig(name: String, script: String, mounts: [[String: Any]] = [], annotations: [String: String] = [:],
                         image: String = TestImages.busyboxReference) throws -> String {
        try writeConfig("ctr-" + name, [
            "metadata": ["name": name], "image": ["image": image],
            "command": ["sh", "-c", script], "log_path": name + ".log", "mounts": mounts,
            "annotations": annotations, "linux": [:] as [String: Any],
        ])
    }

    /// ExecSync: (stdout, stderr, exit code).
    func execSync(_ container: String, _ command: [String]) async throws -> (stdout: String, stderr: String, exitCode: Int) {
        let reply = try await criJSON(["exec-sync", container, "--timeout", "60", "--"] + command)
        return (reply["stdout"] as? String ?? "", reply["stderr"] as? String ?? "", reply["exit_code"] as? Int ?? -1)
    }

    /// The container's log lines (CRI format: time, stream, tag, text), texts only.
    func logLines(pod: String, container: String) -> [String] {
        let text = (try? String(contentsOfFile: "\(logDirectory)/\(pod)/\(container).log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(3).joined()
        }
    }

    func waitUntil(_ what: String, timeout: TimeInterval = 60, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await !condition() {
            guard Date() < deadline else { throw CommandError(description: "timed out after \(Int(timeout)) s waiting for \(what)") }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    // MARK: Leftovers

    /// Everything of ours a pod could leave: sandbox state, QEMU, shims of
    /// this containerd, taps and veths in the hub, CNI allocations, the
    /// pod's network namespace, mounts under containerd's root.
    func leftovers() -> [String] {
        var found: [String] = []
        for base in ["/run/vc/sbs", "/run/vc/vm", "/run/kata-containers/shared/sandboxes", "/run/kata-containers/shared/initdata"] {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
                found.append("directory \(base)/\(entry)")
            }
        }
        for pid in containerd.shimProcesses() { found.append("process \(pid): \(KataTestbed.commandLine(of: pid))") }
        let links = (try? run(["ip", "-n", hub, "-o", "link", "show"], timeout: 10, package: "iproute2").output) ?? ""
        for line in links.split(separator: "\n") where !line.contains(" lo:") { found.append("hub interface \(line)") }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: cniDataDirectory)) ?? [] {
            found.append("CNI address still allocated: \(entry)")
        }
        for namespace in Self.networkNamespaces().subtracting(namespacesBefore) where namespace != hub {
            found.append("network namespace /run/netns/\(namespace)")
        }
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        for line in mounts.split(separator: "\n") where line.contains(containerd.directory + "/") && !line.contains("/root/io.containerd.snapshotter") {
            found.append("mount \(line)")
        }
        return found
    }

    func expectNothingLeft(timeout: TimeInterval = 15) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var remaining: [String] = []
        repeat {
            remaining = leftovers()
            if remaining.isEmpty { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        } while Date() < deadline
        Issue.record(Comment(rawValue: "left behind:\n\(remaining.joined(separator: "\n"))"))
    }
}
