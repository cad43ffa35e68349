import Foundation
import Testing
import TestSupport

/// `kata-runtime env` on the development configuration.
@Suite struct EnvCommandTests {
    static func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try kataRuntime(["env"] + arguments + ["--json"])
        #expect(result.status == 0, "\(result.output)")
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8))
        return try #require(object as? [String: Any])
    }

    @Test func jsonCarriesTheResolvedConfigurationWithItsDropIns() throws {
        let directory = try makeDevConfiguration()
        defer { removeDirectory(directory) }
        let env = try Self.json(["--config", directory + "/configuration-qemu.toml"])
        #expect(Array(env.keys).sorted() == ["Agent", "Assets", "Config", "Configuration", "Host", "Hypervisor", "Meta", "Origins", "Runtime"])

        let config = try #require(env["Config"] as? [String: Any])
        #expect(config["Path"] as? String == directory + "/configuration-qemu.toml")
        #expect(config["Source"] as? String == "--config")
        #expect(config["DropIns"] as? [String] == [directory + "/config.d/50-dev-host.toml"])

        let sections = try #require(env["Configuration"] as? [String: [String: Any]])
        let qemu = try #require(sections["hypervisor.qemu"])
        // The shipped file says none of these: they come from the drop-in.
        #expect(qemu["accelerator"] as? String == "tcg")
        #expect(qemu["agent_channel"] as? String == "virtio-serial")
        #expect(qemu["kernel"] as? String == packageRoot + "/build/guest/vmlinux")
        #expect(qemu["disable_vhost_net"] as? Bool == true)
        #expect(qemu["default_memory"] as? Int == 512)
        #expect(sections["agent.kata"]?["dial_timeout"] as? Int == 45)
        let origins = try #require(env["Origins"] as? [String: String])
        #expect(origins["hypervisor.qemu.kernel"] == "config.d/50-dev-host.toml")
        #expect(origins["agent.kata.dial_timeout"] == "configuration-qemu.toml")

        let agent = try #require(env["Agent"] as? [String: Any])
        #expect(agent["Channel"] as? String == "virtio-serial")
        let assets = try #require(env["Assets"] as? [String: [String: Any]])
        #expect(assets["kernel"]?["Path"] as? String == packageRoot + "/build/guest/vmlinux")
        #expect(assets["kernel"]?["Exists"] as? Bool == exists(packageRoot + "/build/guest/vmlinux"))
        let runtime = try #require(env["Runtime"] as? [String: Any])
        #expect(runtime["Version"] as? String == "0.5.0")
        let hypervisor = try #require(env["Hypervisor"] as? [String: Any])
        #expect(hypervisor["Accelerator"] as? String == "tcg")
        if exists("/usr/bin/qemu-system-x86_64") {
            #expect((hypervisor["VersionLine"] as? String)?.hasPrefix("QEMU emulator version") == true)
        }
        let host = try #require(env["Host"] as? [String: Any])
        #expect(host["VhostNet"] as? Bool == exists("/dev/vhost-net"))
        #expect(host["VhostVsock"] as? Bool == exists("/dev/vhost-vsock"))
    }

    @Test func withoutTheDropInTheShippedValuesShow() throws {
        let directory = try makeDevConfiguration()
        defer { removeDirectory(directory) }
        try FileManager.default.removeItem(atPath: directory + "/config.d")
        let env = try Self.json(["--config", directory + "/configuration-qemu.toml"])
        let qemu = try #require((env["Configuration"] as? [String: [String: Any]])?["hypervisor.qemu"])
        #expect(qemu["accelerator"] as? String == "kvm")
        #expect(qemu["agent_channel"] as? String == "vsock")
        #expect(qemu["kernel"] as? String != packageRoot + "/build/guest/vmlinux")
        #expect((env["Config"] as? [String: Any])?["DropIns"] as? [String] == [])
    }

    @Test func textNamesTheFileThatSetEachKey() throws {
        let directory = try makeDevConfiguration()
        defer { removeDirectory(directory) }
        let result = try kataRuntime(["env", "--config", directory + "/configuration-qemu.toml"])
        #expect(result.status == 0)
        #expect(result.output.contains("[Configuration.\"hypervisor.qemu\"]\n"))
        #expect(result.output.contains("  accelerator = \"tcg\"  # config.d/50-dev-host.toml\n"))
        #expect(result.output.contains("  Path = \"\(directory)/configuration-qemu.toml\"\n"))
        #expect(result.output.contains("[Assets.kernel]\n"))
    }

    @Test func missingConfigurationFails() throws {
        let result = try kataRuntime(["env", "--config", "/nonexistent/configuration.toml"])
        #expect(result.status == 1)
        #expect(result.output == "kata-runtime: configuration file /nonexistent/configuration.toml (--config) does not exist: pass the path of a Kata configuration file\n")
    }
}

extension EnvCommandTests {
    @Test func unsetKeysAreCommentsInTheText() throws {
        let directory = try makeDevConfiguration()
        defer { removeDirectory(directory) }
        let text = try kataRuntime(["env", "--config", directory + "/configuration-qemu.toml"]).output
        // configuration-qemu.toml sets no snp_guest_policy: QEMU's default applies.
        #expect(text.contains("  # snp_guest_policy is not set\n"))
        #expect(!text.contains("null"))
        let json = try Self.json(["--config", directory + "/configuration-qemu.toml"])
        let qemu = try #require((json["Configuration"] as? [String: [String: Any]])?["hypervisor.qemu"])
        #expect(qemu["snp_guest_policy"] is NSNull)
    }
}
