import Foundation
import Installer
import TestSupport
import Testing

@Suite struct FileInstallationTests {
    /// The installed tree equals the source: same paths, bytes, modes, symlinks.
    @Test func installedTreeMatchesSource() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let report = try scratch.install()
        let installed = scratch.host + "/opt/kata"
        let sourcePaths = scratch.tree(scratch.source)
        #expect(scratch.tree(installed) == (sourcePaths + [KataLayout.manifestName]).sorted())
        // Plus one containerd-shim-<handler>-v2 link per handler, under the host's /usr/local/bin.
        #expect(report.written.count == InstallerScratch.files.count + InstallerScratch.symlinks.count
                + InstallerScratch.configurationNames.count + RuntimeHandler.defaults.count)
        for handler in RuntimeHandler.defaults {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.host + "/usr/local/bin/" + handler.shimBinaryName)
                    == "/opt/kata/bin/containerd-shim-kata-v2")
        }
        let manager = FileManager.default
        for relative in sourcePaths {
            let source = try manager.attributesOfItem(atPath: scratch.source + "/" + relative)
            let target = try manager.attributesOfItem(atPath: installed + "/" + relative)
            #expect(source[.type] as? FileAttributeType == target[.type] as? FileAttributeType, "\(relative)")
            if source[.type] as? FileAttributeType == .typeSymbolicLink {
                #expect(try manager.destinationOfSymbolicLink(atPath: installed + "/" + relative)
                        == manager.destinationOfSymbolicLink(atPath: scratch.source + "/" + relative), "\(relative)")
            } else {
                #expect(source[.posixPermissions] as? Int == target[.posixPermissions] as? Int, "\(relative): mode")
                if source[.type] as? FileAttributeType == .typeRegular {
                    #expect(scratch.read(scratch.source + "/" + relative) == scratch.read(installed + "/" + relative), "\(relative)")
                }
            }
        }
        #expect((try manager.attributesOfItem(atPath: installed + "/share/kata-containers/kata-containers.img"))[.posixPermissions] as? Int == 0o640)
    }

    /// Under another prefix the configuration files name the installed guest
    /// assets there; paths the installation does not ship (QEMU) stay.
    @Test func otherPrefixRewritesInstalledAssetPaths() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let prefix = scratch.root + "/elsewhere/opt/kata"
        try scratch.install(prefix: prefix)
        let installed = scratch.host + prefix
        let qemu = try String(contentsOfFile: installed + "/share/defaults/kata-containers/configuration-qemu.toml", encoding: .utf8)
        #expect(qemu.contains("kernel = \"\(prefix)/share/kata-containers/vmlinux.container\""))
        #expect(qemu.contains("image = \"\(prefix)/share/kata-containers/kata-containers.img\""))
        #expect(qemu.contains("path = \"/opt/kata/bin/qemu-system-x86_64\""))
        let source = try String(contentsOfFile: scratch.source + "/share/defaults/kata-containers/configuration-qemu.toml", encoding: .utf8)
        #expect(qemu == source
            .replacingOccurrences(of: "\"/opt/kata/share/kata-containers/vmlinux.container\"", with: "\"\(prefix)/share/kata-containers/vmlinux.container\"")
            .replacingOccurrences(of: "\"/opt/kata/share/kata-containers/kata-containers.img\"", with: "\"\(prefix)/share/kata-containers/kata-containers.img\""))
        let coco = try String(contentsOfFile: installed + "/share/defaults/kata-containers/configuration-qemu-coco-dev.toml", encoding: .utf8)
        #expect(coco.contains("image = \"\(prefix)/share/kata-containers/kata-containers-confidential.img\""))
        let config = String(decoding: try #require(scratch.read(scratch.config)), as: UTF8.self)
        #expect(config.contains("runtime_path = \"\(prefix)/bin/containerd-shim-kata-v2\""))
        try scratch.uninstall(prefix: prefix)
        #expect(scratch.tree(scratch.host).isEmpty)
    }

    /// Uninstall removes exactly what was installed: a file someone else put
    /// into the prefix stays, and so does its directory.
    @Test func uninstallRemovesOnlyInstalledFiles() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.host + "/opt", withIntermediateDirectories: true)
        try scratch.install()
        try scratch.write(scratch.host + "/opt/kata/bin/someone-elses-tool", "tool")
        let report = try scratch.uninstall()
        #expect(report.keptDirectories == ["/opt/kata/bin", "/opt/kata"])
        #expect(!report.removedDirectories.contains("/opt"), "/opt existed before")
        #expect(scratch.tree(scratch.host + "/opt") == ["kata", "kata/bin", "kata/bin/someone-elses-tool"])
        #expect(try scratch.uninstall().wasInstalled == false)
    }

    /// A second installation from a smaller source removes what it no longer has.
    @Test func reinstallRemovesStaleFiles() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.install()
        try FileManager.default.removeItem(atPath: scratch.source + "/share/kata-containers/kata-containers.img")
        try scratch.write(scratch.source + "/bin/kata-runtime", "#!/bin/sh\necho newer\n", mode: 0o755)
        let report = try scratch.install()
        #expect(report.removedStale == ["/opt/kata/share/kata-containers/kata-containers.img"])
        #expect(report.written == ["/opt/kata/bin/kata-runtime"])
        #expect(scratch.read(scratch.host + "/opt/kata/share/kata-containers/kata-containers.img") == nil)
        try scratch.uninstall()
        #expect(scratch.tree(scratch.host) == [])
    }

    @Test func sourceWithoutTheShimIsRefused() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try FileManager.default.removeItem(atPath: scratch.source + "/bin/containerd-shim-kata-v2")
        let error = try #require(throws: InstallerError.self) { try scratch.install() }
        #expect(error.description.contains("has no bin/containerd-shim-kata-v2"))
        #expect(scratch.tree(scratch.host).isEmpty)
    }

    @Test func handlerWithoutConfigurationIsRefused() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let error = try #require(throws: InstallerError.self) { try scratch.install(handlers: [try RuntimeHandler("kata-clh")]) }
        #expect(error.description.contains("share/defaults/kata-containers/configuration-clh.toml"))
        #expect(throws: InstallerError.self) { try RuntimeHandler.list("kata-qemu,runc") }
        #expect(throws: InstallerError.self) { try RuntimeHandler.list("kata-qemu,kata-qemu") }
        #expect(try RuntimeHandler.list("kata-qemu, kata-qemu-snp").map(\.name) == ["kata-qemu", "kata-qemu-snp"])
    }

    @Test func installingOntoTheSourceIsRefused() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let options = try InstallOptions(source: scratch.source, hostRoot: .slash, layout: KataLayout(prefix: scratch.source),
                                         containerdConfig: scratch.config)
        let error = try #require(throws: InstallerError.self) { try InstallPlan(options) }
        #expect(error.description.contains("is the installation itself"))
    }

    @Test func restartCommandEntersTheHostOnlyFromAPod() throws {
        #expect(ContainerdRestart(hostRoot: .slash).arguments == ["systemctl", "restart", "containerd"])
        #expect(ContainerdRestart(hostRoot: try HostRoot("/host")).arguments
                == ["nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "systemctl", "restart", "containerd"])
        #expect(ContainerdRestart(hostRoot: try HostRoot("/host"), command: "true").arguments == ["/bin/sh", "-c", "true"])
    }

    /// Fedora CoreOS and RHCOS link /opt to var/opt and /usr/local to
    /// ../var/usrlocal: the installation goes through such relative links;
    /// an absolute one (which would be followed outside the host root) is refused.
    @Test func relativeLinksOnTheHostAreFollowed() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let manager = FileManager.default
        try manager.createDirectory(atPath: scratch.host + "/var/opt", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: scratch.host + "/var/usrlocal/bin", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: scratch.host + "/usr", withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: scratch.host + "/opt", withDestinationPath: "var/opt")
        try manager.createSymbolicLink(atPath: scratch.host + "/usr/local", withDestinationPath: "../var/usrlocal")
        try scratch.install()
        #expect(manager.isExecutableFile(atPath: scratch.host + "/var/opt/kata/bin/containerd-shim-kata-v2"))
        #expect(try manager.destinationOfSymbolicLink(atPath: scratch.host + "/var/usrlocal/bin/containerd-shim-kata-qemu-v2")
                == "/opt/kata/bin/containerd-shim-kata-v2")
        try scratch.uninstall()
        #expect(try manager.contentsOfDirectory(atPath: scratch.host + "/var/opt").isEmpty)
        #expect(try manager.destinationOfSymbolicLink(atPath: scratch.host + "/opt") == "var/opt", "the host's link was touched")

        try manager.removeItem(atPath: scratch.host + "/opt")
        try manager.createSymbolicLink(atPath: scratch.host + "/opt", withDestinationPath: "/var/opt")
        let error = try #require(throws: InstallerError.self) { try scratch.install() }
        #expect(error.description.contains("/opt is a symlink"), "\(error)")
    }

    /// A shim link another installer replaced since is theirs: uninstall leaves it.
    @Test func uninstallLeavesAReplacedShimLink() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        try scratch.install()
        let link = scratch.host + "/usr/local/bin/containerd-shim-kata-qemu-v2"
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/opt/other-kata/bin/containerd-shim-kata-v2")
        let report = try scratch.uninstall()
        #expect(report.keptReplaced == ["/usr/local/bin/containerd-shim-kata-qemu-v2"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "/opt/other-kata/bin/containerd-shim-kata-v2")
        #expect(!FileManager.default.fileExists(atPath: scratch.host + "/usr/local/bin/containerd-shim-kata-qemu-coco-dev-v2"))
    }

    /// An installation that stops half-way (here: a directory where a file
    /// goes) has recorded what it may have written, so uninstall still works.
    @Test func installationCutShortCanBeUninstalled() throws {
        let scratch = try InstallerScratch()
        defer { scratch.remove() }
        let blocker = scratch.host + "/opt/kata/share/kata-containers/kata-containers.img"
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: true)
        #expect(throws: InstallerError.self) { try scratch.install() }
        #expect(FileManager.default.fileExists(atPath: scratch.host + "/opt/kata/bin/containerd-shim-kata-v2"),
                "the test needs an installation that wrote something before failing")
        let report = try scratch.uninstall()
        #expect(report.wasInstalled)
        #expect(!FileManager.default.fileExists(atPath: scratch.host + "/opt/kata/bin/containerd-shim-kata-v2"))
        #expect(!FileManager.default.fileExists(atPath: scratch.host + "/opt/kata/bin"))
        #expect(FileManager.default.fileExists(atPath: blocker), "a directory that was not ours went")
    }
}
