import Foundation
import KataConfig
import Testing
import TestSupport

/// `kata-runtime check` as an operator runs it: the built binary on this host.
@Suite struct CheckCommandTests {
    static let shipped = packageRoot + "/configuration/configuration-qemu.toml"

    /// The configuration as the binary loads it, for consistency checks on any host.
    static func load(_ path: String) throws(ConfigurationError) -> LoadedConfiguration {
        try ConfigurationLoader(searchPath: [], environment: [:]).load(path: path, source: .runtimeOptions)
    }

    /// This host's KVM is kvm_pvm (it cannot boot a stock kernel), as on the development machine.
    static var kvmIsPVM: Bool { exists("/dev/kvm") && exists("/sys/module/kvm_pvm") }

    @Test func shippedConfigurationOnThisHost() throws {
        let result = try kataRuntime(["check", "--config", Self.shipped])
        let host = HostFacts.probe()
        let expected = HostRequirements.check(try Self.load(Self.shipped).configuration, host: host)
        // Whatever the host, every problem HostRequirements sees is printed with its remedy.
        for problem in expected {
            #expect(result.output.contains("ERROR " + problem.message), "\(result.output)")
        }
        if Self.kvmIsPVM {
            #expect(result.output.contains(#"ERROR /dev/kvm cannot run the guest (the loaded KVM module is kvm_pvm, which does not boot a stock kernel): set accelerator = "tcg" in [hypervisor.qemu] (emulation, for development hosts)"#))
            #expect(result.output.contains("INFO host: /dev/kvm: present but unusable (the loaded KVM module is kvm_pvm"))
        }
        if !exists("/dev/vhost-vsock") {
            #expect(result.output.contains(#"ERROR /dev/vhost-vsock is missing: load vhost_vsock, or set agent_channel = "virtio-serial" in [hypervisor.qemu]"#))
            #expect(result.output.contains("INFO host: /dev/vhost-vsock: missing"))
        }
        let errors = result.output.split(separator: "\n").filter { $0.hasPrefix("ERROR ") }.count
        if errors == 0 {
            #expect(result.status == 0)
            #expect(result.output.hasSuffix("configuration-qemu.toml: this host can run it\n"))
        } else {
            #expect(result.status == 1)
            #expect(result.output.hasSuffix("configuration-qemu.toml: this host cannot run it (\(errors) problem\(errors == 1 ? "" : "s"))\n"), "\(result.output)")
        }
        if Self.kvmIsPVM || !exists("/dev/vhost-vsock") { #expect(result.status == 1) }
    }

    /// The development configuration passes. Its drop-in points at
    /// build/guest; when that is not built, a second drop-in points at
    /// stand-in files, after checking that the missing ones fail by name.
    @Test func devConfigurationPasses() throws {
        let directory = try makeDevConfiguration()
        defer { removeDirectory(directory) }
        let main = directory + "/configuration-qemu.toml"
        let guest = packageRoot + "/build/guest"
        if !exists(guest + "/vmlinux") || !exists(guest + "/kata-containers.img") {
            let missing = try kataRuntime(["check", "--config", main])
            #expect(missing.status == 1)
            #expect(missing.output.contains("ERROR hypervisor.qemu.kernel (set in config.d/50-dev-host.toml): \(guest)/vmlinux does not exist") == !exists(guest + "/vmlinux"))
            #expect(missing.output.contains("ERROR hypervisor.qemu.image (set in config.d/50-dev-host.toml): \(guest)/kata-containers.img does not exist") == !exists(guest + "/kata-containers.img"))
            try writeText("kernel", to: directory + "/assets/vmlinux")
            try writeText("image", to: directory + "/assets/kata-containers.img")
            try writeText("""
                [hypervisor.qemu]
                kernel = "\(directory)/assets/vmlinux"
                image = "\(directory)/assets/kata-containers.img"
                """, to: directory + "/config.d/60-test-assets.toml")
        }
        let result = try kataRuntime(["check", "--config", main, "--verbose"])
        // The host tools the drop-in names (Debian's QEMU, qboot, virtiofsd); CI installs them.
        let hostTools = ["/usr/bin/qemu-system-x86_64", "/usr/share/qemu/qboot.rom", "/usr/lib/qemu/virtiofsd"]
        if hostTools.allSatisfy(exists) {
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.hasSuffix("configuration-qemu.toml: this host can run it\n") || result.output.contains("configuration-qemu.toml: this host can run it ("))
            #expect(!result.output.contains("ERROR "))
            #expect(result.output.contains("INFO QEMU: /usr/bin/qemu-system-x86_64, version "))
        } else {
            #expect(result.status == 1)
            #expect(result.output.contains("ERROR hypervisor.qemu."))
        }
        // --strict fails exactly when HostRequirements has a warning for this host.
        let strict = try kataRuntime(["check", "--config", main, "--strict"])
        let warnings = HostRequirements.warnings(try Self.load(main).configuration, host: HostFacts.probe())
        if result.status == 0 {
            #expect(strict.status == (warnings.isEmpty ? 0 : 1), "\(strict.output)")
        }
        for warning in warnings { #expect(strict.output.contains("WARN " + warning.message)) }
    }

    @Test func everyConfigurationGetsAVerdict() throws {
        let directory = try makeDevConfiguration()
        defer { removeDirectory(directory) }
        let result = try kataRuntime(["check", "--config", Self.shipped, "--config", directory + "/absent.toml"])
        #expect(result.status == 1)
        #expect(result.output.contains("ERROR configuration file \(directory)/absent.toml (--config) does not exist"))
        let verdicts = result.output.split(separator: "\n").filter { $0.contains(": this host ") }
        #expect(verdicts.count == 2)
        #expect(verdicts.last == "absent.toml: this host cannot run it (1 problem)")
    }

    @Test func invalidConfigurationFailsWithTheLoadersMessage() throws {
        let directory = try makeTemporaryDirectory("krc-bad")
        defer { removeDirectory(directory) }
        try writeText("[hypervisor.qemu]\ndefault_memory = \"lots\"\n", to: directory + "/configuration-bad.toml")
        let result = try kataRuntime(["check", "--config", directory + "/configuration-bad.toml"])
        #expect(result.status == 1)
        var message = ""
        do { _ = try Self.load(directory + "/configuration-bad.toml") } catch { message = error.message }
        #expect(!message.isEmpty)
        #expect(result.output.contains("ERROR " + message), "\(result.output)")
        #expect(result.output.hasSuffix("configuration-bad.toml: this host cannot run it (1 problem)\n"))
    }

    @Test func defaultConfigurationWhenNoneIsInstalled() throws {
        guard !ConfigurationLoader.defaultSearchPath.contains(where: exists) else { return }
        let result = try kataRuntime(["check"])
        #expect(result.status == 1)
        #expect(result.output.contains("ERROR no configuration file found in the default search path"))
    }
}
