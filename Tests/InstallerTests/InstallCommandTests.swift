import Foundation
import Installer
import TestSupport
import Testing

/// `kata-runtime install` and `uninstall` as an operator runs them (the debug
/// build's binary, next to this test bundle).
@Suite struct InstallCommandTests {
    static let binary: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (executable as NSString).deletingLastPathComponent + "/kata-runtime"
    }()

    func kataRuntime(_ arguments: [String]) throws -> CommandResult {
        try run([Self.binary] + arguments, timeout: 60)
    }

    /// The restart runs with --restart-containerd only; without it the
    /// output says that containerd must be restarted.
    @Test func restartRunsOnlyWhenAsked() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.writeConfig(containerdV3Config)
        let marker = scratch.root + "/restarted"
        let common = ["--source", scratch.source, "--host-root", scratch.host, "--containerd-config", scratch.configOnHost]

        let plain = try kataRuntime(["install"] + common)
        #expect(plain.succeeded, "\(plain.output)")
        #expect(plain.output.contains("restart containerd"))
        #expect(plain.output.contains("/etc/containerd/config.toml.kata-shim.bak"))
        #expect(!FileManager.default.fileExists(atPath: marker))

        // Unchanged (the DaemonSet's pod restarting): no restart.
        let unchanged = try kataRuntime(["install"] + common + ["--restart-containerd", "--restart-command", "echo restart >> \(marker)"])
        #expect(unchanged.succeeded, "\(unchanged.output)")
        #expect(unchanged.output.contains("not restarting containerd"))
        #expect(!FileManager.default.fileExists(atPath: marker))

        let failing = try kataRuntime(["uninstall", "--host-root", scratch.host, "--restart-containerd", "--restart-command", "exit 3"])
        #expect(!failing.succeeded)
        #expect(failing.output.contains("restarting containerd failed"))
        #expect(scratch.read(scratch.config) == Data(containerdV3Config.utf8), "uninstalled before the restart")

        let again = try kataRuntime(["uninstall", "--host-root", scratch.host, "--restart-containerd", "--restart-command", "echo again >> \(marker)"])
        #expect(again.succeeded)
        #expect(again.output.contains("Nothing to uninstall"))
        #expect(!FileManager.default.fileExists(atPath: marker), "no restart when nothing was uninstalled")

        let restarted = try kataRuntime(["install"] + common + ["--restart-containerd", "--restart-command", "echo restart >> \(marker)"])
        #expect(restarted.succeeded, "\(restarted.output)")
        #expect(scratch.read(marker) == Data("restart\n".utf8))
        #expect(try kataRuntime(["uninstall", "--host-root", scratch.host]).succeeded)
    }

    @Test func dryRunPrintsTheBlockAndWritesNothing() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.writeConfig(try containerdDefaultConfig())
        let before = scratch.tree(scratch.host)
        let result = try kataRuntime(["install", "--dry-run", "--source", scratch.source, "--host-root", scratch.host, "--handlers", "kata-qemu-coco-dev"])
        #expect(result.succeeded, "\(result.output)")
        #expect(result.output.contains("/opt/kata/bin/containerd-shim-kata-v2\n"))
        #expect(result.output.contains(ContainerdRuntimeBlock(version: .v2, handlers: [try RuntimeHandler("kata-qemu-coco-dev")], layout: try KataLayout()).text))
        #expect(scratch.tree(scratch.host) == before)
    }

    @Test func refusalExitsNonZeroWithTheReason() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.writeConfig("root = \"/var/lib/containerd\"\n")
        let result = try kataRuntime(["install", "--source", scratch.source, "--host-root", scratch.host])
        #expect(!result.succeeded)
        #expect(result.output.contains("version 1"))
        #expect(result.output.contains("containerd config migrate"))
    }

    /// The end-to-end use: --host-root / and an absolute prefix anywhere.
    @Test func hostRootSlashWithScratchPrefix() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let prefix = scratch.root + "/opt/kata"
        let config = scratch.root + "/containerd/config.toml"
        try scratch.write(config, try containerdDefaultConfig())
        let links = scratch.root + "/links"
        let result = try kataRuntime(["install", "--source", scratch.source, "--prefix", prefix, "--containerd-config", config,
                                      "--shim-link-dir", links])
        #expect(result.succeeded, "\(result.output)")
        #expect(FileManager.default.isExecutableFile(atPath: prefix + "/bin/containerd-shim-kata-v2"))
        // containerd 1.6 runs containerd-shim-<handler>-v2 from its PATH.
        for handler in ["kata-qemu", "kata-qemu-coco-dev", "kata-qemu-tdx", "kata-qemu-snp"] {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(links)/containerd-shim-\(handler)-v2")
                    == prefix + "/bin/containerd-shim-kata-v2")
        }
        let text = String(decoding: try #require(scratch.read(config)), as: UTF8.self)
        #expect(text.contains("ConfigPath = \"\(prefix)/share/defaults/kata-containers/configuration-qemu-coco-dev.toml\""))
        let uninstall = try kataRuntime(["uninstall", "--prefix", prefix])
        #expect(uninstall.succeeded, "\(uninstall.output)")
        #expect(!FileManager.default.fileExists(atPath: scratch.root + "/opt"))
        #expect(!FileManager.default.fileExists(atPath: links), "the shim links outlived the uninstall")
    }

    /// A file of someone else's where a shim link goes is never replaced.
    @Test func foreignShimLinkIsRefused() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let links = scratch.root + "/links"
        try scratch.write(links + "/containerd-shim-kata-qemu-v2", "#!/bin/sh\n")
        let config = scratch.root + "/containerd/config.toml"
        try scratch.write(config, "version = 2\n")
        let result = try kataRuntime(["install", "--source", scratch.source, "--prefix", scratch.root + "/opt/kata",
                                      "--containerd-config", config, "--shim-link-dir", links])
        #expect(!result.succeeded)
        #expect(result.output.contains("containerd-shim-kata-qemu-v2 exists and is not a link"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: scratch.root + "/opt"), "a refused installation wrote files")
        #expect(String(decoding: try #require(scratch.read(config)), as: UTF8.self) == "version = 2\n")
    }
}
