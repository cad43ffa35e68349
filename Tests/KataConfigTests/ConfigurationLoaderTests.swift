import Foundation
import Testing
@testable import KataConfig

/// Which file is loaded, drop-ins, warnings.
@Suite struct ConfigurationLoaderTests {
    static let minimal = """
        [hypervisor.qemu]
        kernel = "/k"
        image = "/i"
        shared_fs = "none"
        """

    @Test func configPathWinsOverEverything() throws {
        let dir = try ScratchDirectory()
        let option = try dir.write("option/configuration.toml", Self.minimal + "\ndefault_memory = 1024\n")
        let shipped = try dir.write("etc/configuration.toml", Self.minimal)
        let loader = ConfigurationLoader(searchPath: [shipped], environment: ["KATA_CONF_FILE": shipped])
        let loaded = try loader.load(configPath: option)
        #expect(loaded.source == .runtimeOptions)
        #expect(loaded.path == option)
        #expect(loaded.configuration.hypervisor.defaultMemoryMiB == 1024)
    }

    @Test func kataConfFileAcceptedWhenItIsADefaultPath() throws {
        let dir = try ScratchDirectory()
        let first = try dir.write("etc/configuration.toml", Self.minimal + "\ndefault_memory = 1024\n")
        let second = try dir.write("opt/configuration.toml", Self.minimal + "\ndefault_memory = 3072\n")
        let loader = ConfigurationLoader(searchPath: [first, second], environment: ["KATA_CONF_FILE": second])
        let loaded = try loader.load()
        #expect(loaded.source == .environment)
        #expect(loaded.configuration.hypervisor.defaultMemoryMiB == 3072)
    }

    /// Kata resolves symlinks before comparing with the default paths.
    @Test func kataConfFileAcceptedThroughASymlink() throws {
        let dir = try ScratchDirectory()
        let target = try dir.write("etc/configuration.toml", Self.minimal)
        let link = try dir.symlink("elsewhere/link.toml", to: target)
        let loader = ConfigurationLoader(searchPath: [target], environment: ["KATA_CONF_FILE": link])
        #expect(try loader.load().source == .environment)
    }

    @Test func kataConfFileRefusedOtherwise() throws {
        let dir = try ScratchDirectory()
        let shipped = try dir.write("etc/configuration.toml", Self.minimal)
        let other = try dir.write("home/my.toml", Self.minimal)
        let loader = ConfigurationLoader(searchPath: [shipped], environment: ["KATA_CONF_FILE": other])
        #expect(throws: ConfigurationError(
            "invalid KATA_CONF_FILE \"\(other)\": only shipped Kata configuration files are accepted (\(shipped)); to use another file, set ConfigPath in containerd's runtime handler options")
        ) { try loader.load() }
    }

    @Test func defaultSearchTakesTheFirstExistingFile() throws {
        let dir = try ScratchDirectory()
        let missing = dir.path + "/etc/configuration.toml"
        let second = try dir.write("opt/configuration.toml", Self.minimal + "\ndefault_memory = 1024\n")
        let third = try dir.write("usr/configuration.toml", Self.minimal + "\ndefault_memory = 4096\n")
        let loader = ConfigurationLoader(searchPath: [missing, second, third], environment: [:])
        let loaded = try loader.load()
        #expect(loaded.source == .defaultSearch)
        #expect(loaded.path == second)
        #expect(loaded.configuration.hypervisor.defaultMemoryMiB == 1024)

        try dir.write("etc/configuration.toml", Self.minimal + "\ndefault_memory = 512\n")
        #expect(try loader.load().configuration.hypervisor.defaultMemoryMiB == 512)
    }

    @Test func defaultSearchPathIsKatas() {
        #expect(ConfigurationLoader.defaultSearchPath == [
            "/etc/kata-containers/configuration.toml",
            "/opt/kata/share/defaults/kata-containers/configuration.toml",
            "/usr/share/defaults/kata-containers/configuration.toml",
        ])
    }

    /// A drop-in replaces only the keys it names; later files win.
    @Test func dropInsApplyKeyByKeyInLexicalOrder() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration.toml", """
            [hypervisor.qemu]
            kernel = "/k"
            image = "/i"
            shared_fs = "none"
            kernel_params = "a=1 b=2"
            default_memory = 1024
            [agent.kata]
            dial_timeout = 45
            """)
        try dir.write("config.d/20-params.toml", """
            [hypervisor.qemu]
            kernel_params = "c=3"
            [agent.kata]
            enable_debug = true
            """)
        try dir.write("config.d/10-memory.toml", "[hypervisor.qemu]\ndefault_memory = 3072\nkernel_params = \"x=0\"\n")
        try dir.write("config.d/README", "not toml")
        try dir.write("config.d/.hidden.toml", "this is not even TOML")
        let loaded = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main)
        let c = loaded.configuration
        #expect(c.hypervisor.kernelParams == ["c=3"])
        #expect(c.hypervisor.defaultMemoryMiB == 3072)
        #expect(c.hypervisor.kernel == "/k")
        #expect(c.agent.dialTimeoutSeconds == 45)
        #expect(c.agent.enableDebug)
        #expect(loaded.dropIns == [dir.path + "/config.d/10-memory.toml", dir.path + "/config.d/20-params.toml"])
        #expect(loaded.origins["hypervisor.qemu.kernel_params"] == "config.d/20-params.toml")
        #expect(loaded.origins["hypervisor.qemu.default_memory"] == "config.d/10-memory.toml")
        #expect(loaded.origins["hypervisor.qemu.kernel"] == "configuration.toml")
        #expect(loaded.warnings.map(\.description) == ["config.d/README: not a regular .toml file, ignored"])
    }

    /// The drop-in directory is next to the file a symlink points to, as in Kata.
    @Test func dropInsFollowTheResolvedMainFile() throws {
        let dir = try ScratchDirectory()
        let target = try dir.write("runtimes/qemu/configuration-qemu.toml", Self.minimal)
        try dir.write("runtimes/qemu/config.d/50-memory.toml", "[hypervisor.qemu]\ndefault_memory = 4096\n")
        try dir.write("etc/config.d/50-memory.toml", "[hypervisor.qemu]\ndefault_memory = 512\n")
        let link = try dir.symlink("etc/configuration.toml", to: target)
        let loaded = try ConfigurationLoader(searchPath: [link], environment: [:]).load()
        #expect(loaded.path == target)
        #expect(loaded.configuration.hypervisor.defaultMemoryMiB == 4096)
    }

    @Test func unknownKeysAndSectionsAreWarnings() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration-qemu.toml", Self.minimal + """

            defualt_memory = 1
            [agent.kata]
            dial_timeot = 3
            [agent.other]
            x = 1
            [frobnicator]
            y = 2
            """)
        try dir.write("config.d/50-x.toml", "top = 1\n[runtime]\nnew_thing = true\n")
        let loaded = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main)
        #expect(loaded.warnings.map(\.description) == [
            "configuration-qemu.toml: agent.kata.dial_timeot: unknown key, ignored (did you mean dial_timeout?)",
            "configuration-qemu.toml: agent.other: unknown section, ignored (the agent's section is [agent.kata])",
            "configuration-qemu.toml: frobnicator: unknown section, ignored",
            "configuration-qemu.toml: hypervisor.qemu.defualt_memory: unknown key, ignored (did you mean default_memory?)",
            "config.d/50-x.toml: runtime.new_thing: unknown key, ignored",
            "config.d/50-x.toml: top: unknown key outside any section, ignored",
        ])
    }

    @Test func katasReplacementsAreWarnings() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration.toml", Self.minimal + """

            default_memory = 128
            default_bridges = 9
            default_vcpus = 0
            memory_slots = 0
            [agent.kata]
            dial_timeout = 0
            [runtime]
            create_container_timeout = 0
            """)
        let loaded = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main)
        let c = loaded.configuration
        #expect(c.hypervisor.defaultMemoryMiB == 2048)
        #expect(c.hypervisor.defaultBridges == 5)
        #expect(c.hypervisor.defaultVCPUs == 1)
        #expect(c.hypervisor.memorySlots == 10)
        #expect(c.agent.dialTimeoutSeconds == 30)
        #expect(c.runtime.createContainerTimeoutSeconds == 60)
        #expect(loaded.warnings.map(\.description) == [
            "configuration.toml: hypervisor.qemu.default_memory: 128 MiB is below Kata's minimum of 256 MiB; using 2048 MiB as Kata does",
            "configuration.toml: hypervisor.qemu.default_bridges: at most 5 PCI bridges can be cold-plugged; using 5 as Kata does",
            "configuration.toml: runtime.create_container_timeout: 0 seconds would fail every container creation; using 60 seconds",
        ])
    }

    @Test func absentKeysTakeKatasDefaults() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration.toml", "[hypervisor.qemu]\nimage = \"/i\"\nvirtio_fs_daemon = \"/v\"\n")
        let c = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main).configuration
        var expected = KataConfiguration()
        expected.hypervisor.image = "/i"
        expected.hypervisor.virtioFSDaemon = "/v"
        #expect(c == expected)
        #expect(c.hypervisor.sharedFS == .virtioFS)
        #expect(c.hypervisor.defaultMemoryMiB == 2048)
        #expect(c.agent.dialTimeoutSeconds == 30)
        #expect(c.runtime.disableGuestSeccomp)
    }

    /// Kata treats empty strings as "use the default" for these keys.
    @Test func emptyStringsMeanDefaults() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration.toml", """
            [hypervisor.qemu]
            path = ""
            kernel = ""
            image = "/i"
            initrd = ""
            machine_type = ""
            shared_fs = ""
            virtio_fs_daemon = "/v"
            block_device_driver = ""
            rootfs_type = ""
            machine_accelerators = " nosmm , ,nosmbus "
            """)
        let h = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main).configuration.hypervisor
        #expect(h.path == "/usr/bin/qemu-system-x86_64")
        #expect(h.machineType == "q35")
        #expect(h.initrd == nil)
        #expect(h.sharedFS == .virtioFS)
        #expect(h.rootfsType == .ext4)
        #expect(h.machineAccelerators == "nosmm,nosmbus")
    }

    @Test func kernelParamsKeepQuotedBlanks() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration.toml", Self.minimal + """

            kernel_params = "a=1  dm-mod.create=\\"x y,z\\" quiet"
            """)
        let h = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main).configuration.hypervisor
        #expect(h.kernelParams == ["a=1", "dm-mod.create=\"x y,z\"", "quiet"])
    }

    /// The generated development directory: the shipped coco-dev file with
    /// the TCG / virtio-serial overlay, as tests and the demo load it.
    @Test(arguments: [false, true])
    func developmentConfiguration(initrd: Bool) throws {
        let dir = try ScratchDirectory()
        _ = try Tool.run("/bin/bash", [TestFiles.repository.path + "/hack/dev-config.sh"] + (initrd ? ["--initrd"] : []) + [dir.path + "/dev"])
        let loaded = try ConfigurationLoader(searchPath: [], environment: [:])
            .load(configPath: dir.path + "/dev/configuration-qemu-coco-dev.toml")
        #expect(loaded.warnings == [])
        let guest = TestFiles.repository.path + "/build/guest"
        let c = loaded.configuration
        #expect(c.hypervisor.accelerator == .tcg)
        #expect(c.hypervisor.agentChannel == .virtioSerial)
        #expect(c.hypervisor.path == "/usr/bin/qemu-system-x86_64")
        #expect(c.hypervisor.kernel == guest + "/vmlinux")
        #expect(c.hypervisor.image == (initrd ? nil : guest + "/kata-containers.img"))
        #expect(c.hypervisor.initrd == (initrd ? guest + "/kata-containers-initrd.img" : nil))
        #expect(c.hypervisor.cpuFeatures == "")
        #expect(c.hypervisor.machineAccelerators == "")
        #expect(c.hypervisor.firmware == "/usr/share/qemu/qboot.rom")
        #expect(c.hypervisor.virtioFSDaemon == "/usr/lib/qemu/virtiofsd")
        #expect(c.hypervisor.defaultMemoryMiB == 512)
        #expect(c.hypervisor.defaultVCPUs == 1)
        #expect(c.agent.dialTimeoutSeconds == 45)
        #expect(c.runtime.staticSandboxResourceMgmt)
        #expect(loaded.origins["hypervisor.qemu.accelerator"] == "config.d/50-dev-host.toml")
        let problems = HostRequirements.check(c, host: HostFacts(kvm: .unusable(reason: "kvm_pvm"), hasVhostVsock: false, cpuCount: 2, memoryMiB: 24000))
        #expect(problems == [])
    }
}
