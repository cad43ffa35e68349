import Foundation
import Installer
import TestSupport
import Testing

@Suite struct ContainerdConfigEditTests {
    /// Installing twice on containerd's own default configuration leaves the
    /// same bytes (and the same mtime); uninstalling restores the original.
    @Test func installTwiceThenUninstallOnContainerdDefault() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let original = try containerdDefaultConfig()
        #expect(original.contains("version = 2"))
        try scratch.writeConfig(original)

        let first = try scratch.install()
        #expect(first.containerdConfigChanged)
        #expect(first.containerdBackup == scratch.configOnHost + ".kata-shim.bak")
        let installed = try #require(scratch.read(scratch.config))
        let installedText = String(decoding: installed, as: UTF8.self)
        #expect(installedText.hasPrefix(original))
        #expect(scratch.read(scratch.config + ".kata-shim.bak") == Data(original.utf8))
        let mtime = scratch.modificationTime(scratch.config)

        Thread.sleep(forTimeInterval: 0.05)
        let second = try scratch.install()
        #expect(!second.containerdConfigChanged)
        #expect(second.written.isEmpty)
        #expect(scratch.read(scratch.config) == installed)
        #expect(scratch.modificationTime(scratch.config) == mtime)

        let report = try scratch.uninstall()
        #expect(report.containerd == .restored(backup: scratch.configOnHost + ".kata-shim.bak"))
        #expect(scratch.read(scratch.config) == Data(original.utf8))
        #expect(scratch.read(scratch.config + ".kata-shim.bak") == nil)
        #expect(scratch.tree(scratch.host) == ["etc", "etc/containerd", "etc/containerd/config.toml"])
    }

    /// containerd 1.6 itself reads the edited file and sees every handler
    /// with its path and options.
    @Test func containerdReadsTheHandlers() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.writeConfig(try containerdDefaultConfig())
        try scratch.install(prefix: "/srv/kata")
        let dump = try run(["containerd", "--config", scratch.config, "config", "dump"], timeout: 30, package: "containerd")
        #expect(dump.succeeded, "\(dump.output)")
        for handler in RuntimeHandler.defaults {
            let table = "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.\(handler.name)]"
            let section = try #require(dump.output.range(of: table).map { String(dump.output[$0.upperBound...].prefix(1200)) }, "\(table) missing from containerd's dump")
            #expect(section.contains("runtime_path = \"/srv/kata/bin/containerd-shim-kata-v2\""))
            #expect(section.contains("runtime_type = \"io.containerd.\(handler.name).v2\""))
            #expect(section.contains("ConfigPath = \"/srv/kata/share/defaults/kata-containers/\(handler.configurationFileName)\""))
            #expect(section.contains("privileged_without_host_devices = true"))
        }
    }

    @Test func installTwiceThenUninstallOnVersion3() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.writeConfig(containerdV3Config)
        let report = try scratch.install(handlers: [try RuntimeHandler("kata-qemu-coco-dev")])
        #expect(report.containerdVersion == .v3)
        let installed = try #require(scratch.read(scratch.config))
        let text = String(decoding: installed, as: UTF8.self)
        #expect(text.contains("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.kata-qemu-coco-dev.options]"))
        #expect(!text.contains("runtimes.kata-qemu]"))
        try scratch.install(handlers: [try RuntimeHandler("kata-qemu-coco-dev")])
        #expect(scratch.read(scratch.config) == installed)
        try scratch.uninstall()
        #expect(scratch.read(scratch.config) == Data(containerdV3Config.utf8))
    }

    /// Other handlers on a second install replace the block, not add a second one.
    @Test func changedHandlersReplaceTheBlock() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.writeConfig(containerdV3Config)
        try scratch.install(handlers: [try RuntimeHandler("kata-qemu")])
        try scratch.install(handlers: [try RuntimeHandler("kata-qemu-snp")])
        let text = String(decoding: try #require(scratch.read(scratch.config)), as: UTF8.self)
        #expect(text.components(separatedBy: ContainerdRuntimeBlock.beginMarker).count == 2)
        #expect(text.contains("runtimes.kata-qemu-snp]") && !text.contains("runtimes.kata-qemu]"))
        try scratch.uninstall()
        #expect(scratch.read(scratch.config) == Data(containerdV3Config.utf8))
    }

    @Test func missingFileIsCreatedAndDeletedAgain() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let report = try scratch.install()
        #expect(report.containerdConfigCreated && report.containerdBackup == nil)
        let text = String(decoding: try #require(scratch.read(scratch.config)), as: UTF8.self)
        #expect(text.contains("version = 2\n"))
        #expect(text.contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu-tdx]"))
        #expect(try scratch.uninstall().containerd == .deleted)
        #expect(scratch.tree(scratch.host).isEmpty)
    }

    @Test func emptyFileIsRestoredEmpty() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.writeConfig("")
        try scratch.install()
        #expect(String(decoding: try #require(scratch.read(scratch.config)), as: UTF8.self).contains("version = 2\n"))
        try scratch.uninstall()
        #expect(scratch.read(scratch.config) == Data())
    }

    /// Refusals name the file and the fix, and write nothing at all.
    @Test(arguments: [
        ("a version 1 file", "root = \"/var/lib/containerd\"\n[plugins.cri]\n  sandbox_image = \"pause\"\n", "version 1"),
        ("a kata-qemu table of its own", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu]\n  runtime_type = \"io.containerd.kata.v2\"\n",
         "already defines [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu]"),
        ("a result that does not parse", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  runtimes = \"none\"\n", "nothing was written"),
        ("a file that does not parse", "version = 2\n[plugins\n", "line 2"),
        ("an unknown version", "version = 7\n", "version = 7"),
    ])
    func refusalLeavesEverythingUntouched(_ name: String, _ config: String, _ expected: String) throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.writeConfig(config)
        let mtime = scratch.modificationTime(scratch.config)
        let error = try #require(throws: InstallerError.self) { try scratch.install() }
        #expect(error.description.contains(expected), "\(name): \(error)")
        #expect(error.description.contains(scratch.config), "\(name): the message names the file: \(error)")
        #expect(scratch.read(scratch.config) == Data(config.utf8))
        #expect(scratch.modificationTime(scratch.config) == mtime)
        #expect(scratch.tree(scratch.host) == ["etc", "etc/containerd", "etc/containerd/config.toml"], "\(name): nothing installed")
    }

    /// A block appended and removed again gives back the exact bytes, with or
    /// without a final newline, blank lines or text after the block.
    @Test(arguments: ["", "x = 1", "x = 1\n", "x = 1\n\n", "# only a comment\n"])
    func blockRemovalUndoesAppending(_ base: String) throws {
        let block = ContainerdRuntimeBlock(version: .v2, handlers: RuntimeHandler.defaults, layout: try KataLayout())
        let appended = block.appended(to: base)
        #expect(ContainerdRuntimeBlock.removed(from: appended) == base)
        #expect(ContainerdRuntimeBlock.removed(from: appended + "y = 2\n") == base + "y = 2\n")
        #expect(ContainerdRuntimeBlock.removed(from: base) == nil)
    }

    /// The committed snippets are what the installer writes for /opt/kata.
    @Test(arguments: ContainerdConfigVersion.allCases)
    func snippetFilesEqualTheGeneratedBlock(_ version: ContainerdConfigVersion) throws {
        let path = packageRoot + "/configuration/containerd/runtime-handlers-v\(version.rawValue).toml"
        let committed = try String(contentsOfFile: path, encoding: .utf8)
        let generated = ContainerdRuntimeBlock(version: version, handlers: RuntimeHandler.defaults, layout: try KataLayout()).text
        #expect(committed == generated, "\(path) differs from the installer's block; regenerate it with kata-runtime install --dry-run")
    }

    /// A pasted snippet counts as the installer's block: install replaces it
    /// rather than refusing it as a table of someone else's.
    @Test func pastedSnippetIsTakenOver() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let snippet = try String(contentsOfFile: packageRoot + "/configuration/containerd/runtime-handlers-v3.toml", encoding: .utf8)
        try scratch.writeConfig(containerdV3Config + "\n" + snippet)
        try scratch.install()
        #expect(scratch.read(scratch.config) == Data((containerdV3Config + "\n" + snippet).utf8))
        #expect(scratch.read(scratch.config + ".kata-shim.bak") == Data(containerdV3Config.utf8))
    }

    /// Lines added after installation stay; only the block goes, and the
    /// backup is kept for the operator to compare.
    @Test func editsAfterInstallationAreKept() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let original = try containerdDefaultConfig()
        try scratch.writeConfig(original)
        try scratch.install()
        let edited = String(decoding: try #require(scratch.read(scratch.config)), as: UTF8.self)
            .replacingOccurrences(of: "oom_score = 0", with: "oom_score = -999")
        try scratch.writeConfig(edited)
        let report = try scratch.uninstall()
        #expect(report.containerd == .blockRemoved(keptBackup: scratch.configOnHost + ".kata-shim.bak"))
        #expect(scratch.read(scratch.config) == Data(original.replacingOccurrences(of: "oom_score = 0", with: "oom_score = -999").utf8))
        #expect(scratch.read(scratch.config + ".kata-shim.bak") == Data(original.utf8))
    }
}
