import Testing
@testable import KataConfig

/// Bad configuration files: each fails with exactly this message.
@Suite struct ConfigurationErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        /// The main file (`configuration-qemu.toml`).
        var main: String
        /// Drop-ins: name in config.d → text.
        var dropIns: [String: String] = [:]
        var error: String
        var testDescription: String { error }
    }

    /// A valid start for `[hypervisor.qemu]`.
    static let base = "[hypervisor.qemu]\nkernel = \"/k\"\nimage = \"/i\"\nshared_fs = \"none\"\n"

    static let cases: [Case] = [
        Case(main: base + "default_memory = \"lots\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.default_memory: found string "lots", expected an integer (MiB)"#),
        Case(main: base + "default_memory = -5",
             error: "configuration-qemu.toml: hypervisor.qemu.default_memory: found integer -5, expected an integer from 0 to 4294967295 (MiB)"),
        Case(main: base + "default_memory = 1.5",
             error: "configuration-qemu.toml: hypervisor.qemu.default_memory: found float 1.5, expected an integer (MiB)"),
        Case(main: base + "default_vcpus = \"two\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.default_vcpus: found string "two", expected a number (vCPUs)"#),
        Case(main: base + "confidential_guest = \"yes\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.confidential_guest: found string "yes", expected a boolean (true or false)"#),
        Case(main: base + "kernel_params = [\"quiet\"]",
             error: #"configuration-qemu.toml: hypervisor.qemu.kernel_params: found array ["quiet"], expected a string"#),
        Case(main: base + "enable_annotations = \"kernel_params\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.enable_annotations: found string "kernel_params", expected an array of strings"#),
        Case(main: base + "enable_annotations = [\"kernel_params\", 3]",
             error: "configuration-qemu.toml: hypervisor.qemu.enable_annotations: found integer 3 at index 1, expected an array of strings"),
        Case(main: base + "enable_annotations = [\"kernel_(params\"]",
             error: #"configuration-qemu.toml: hypervisor.qemu.enable_annotations: found "kernel_(params" at index 0, which is not a valid regular expression, expected regular expressions naming annotations, such as "kernel_params" or "default_.*""#),
        Case(main: base.replacing("\"none\"", with: "\"virtio-fs-nydus\""),
             error: #"configuration-qemu.toml: hypervisor.qemu.shared_fs: found string "virtio-fs-nydus", expected one of "virtio-fs", "virtio-9p", "none" (this runtime has no nydus mode)"#),
        Case(main: base + "accelerator = \"hvf\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.accelerator: found string "hvf", expected one of "kvm", "tcg""#),
        Case(main: base + "agent_channel = \"hvsock\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.agent_channel: found string "hvsock", expected one of "vsock", "virtio-serial""#),
        Case(main: base + "block_device_driver = \"ide\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.block_device_driver: found string "ide", expected one of "virtio-scsi", "virtio-blk", "virtio-mmio", "nvdimm", "virtio-blk-ccw""#),
        Case(main: base + "rootfs_type = \"btrfs\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.rootfs_type: found string "btrfs", expected one of "ext4", "xfs", "erofs""#),
        Case(main: base + "snp_guest_policy = -1",
             error: "configuration-qemu.toml: hypervisor.qemu.snp_guest_policy: found integer -1, expected an integer from 0 to 18446744073709551615"),
        Case(main: base + "rx_rate_limiter_max_rate = \"fast\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.rx_rate_limiter_max_rate: found string "fast", expected an integer (bits/s)"#),
        Case(main: base + "[agent.kata]\ndial_timeout = true",
             error: "configuration-qemu.toml: agent.kata.dial_timeout: found boolean true, expected an integer (seconds)"),
        Case(main: base + "[runtime]\nexperimental = [\"warp_drive\"]",
             error: #"configuration-qemu.toml: runtime.experimental: found unknown feature "warp_drive", expected known experimental features ("force_guest_pull")"#),
        Case(main: base + "[runtime]\ninternetworking_model = \"bridged\"",
             error: #"configuration-qemu.toml: runtime.internetworking_model: found string "bridged", expected one of "tcfilter", "macvtap", "none""#),
        Case(main: base + "[runtime]\ncreate_container_timeout = \"1m\"",
             error: #"configuration-qemu.toml: runtime.create_container_timeout: found string "1m", expected an integer (seconds)"#),
        Case(main: base + "[factory]\nenable_template = 1",
             error: "configuration-qemu.toml: factory.enable_template: found integer 1, expected a boolean (true or false)"),
        Case(main: base + "[image]\nservice_offload = \"no\"",
             error: #"configuration-qemu.toml: image.service_offload: found string "no", expected a boolean (true or false)"#),
        Case(main: "hypervisor = 3",
             error: "configuration-qemu.toml: hypervisor: found integer 3, expected a table such as [hypervisor.qemu]"),
        Case(main: "[hypervisor.clh]\nkernel = \"/k\"",
             error: "configuration-qemu.toml: [hypervisor.clh]: this runtime drives QEMU only; use one of the configuration-qemu*.toml files"),
        Case(main: "[runtime]\nenable_debug = true",
             error: "configuration-qemu.toml: no [hypervisor.qemu] section: this runtime needs a QEMU configuration such as configuration-qemu-coco-dev.toml"),
        Case(main: base + "initrd = \"/r\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.image and hypervisor.qemu.initrd are both set: a guest boots either an image or an initrd; remove one (a drop-in can clear it with image = "" or initrd = "")"#),
        Case(main: base, dropIns: ["50-initrd.toml": "[hypervisor.qemu]\ninitrd = \"/r\""],
             error: #"configuration-qemu.toml: hypervisor.qemu.image and config.d/50-initrd.toml: hypervisor.qemu.initrd are both set: a guest boots either an image or an initrd; remove one (a drop-in can clear it with image = "" or initrd = "")"#),
        Case(main: "[hypervisor.qemu]\nkernel = \"/k\"\nshared_fs = \"none\"",
             error: "configuration-qemu.toml: hypervisor.qemu: neither image nor initrd is set: set image to the guest root filesystem image, or initrd to an initramfs"),
        Case(main: "[hypervisor.qemu]\nimage = \"/i\"\nshared_fs = \"virtio-fs\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.shared_fs and hypervisor.qemu.virtio_fs_daemon: shared_fs = "virtio-fs" needs virtio_fs_daemon: set it to virtiofsd's path, or set shared_fs = "none""#),
        Case(main: base + "snp_id_block = \"AAAA\"",
             error: "configuration-qemu.toml: hypervisor.qemu.snp_id_block is set but snp_id_auth is empty: set both or neither"),
        Case(main: base + "hot_plug_vfio = \"root-port\"\ncold_plug_vfio = \"switch-port\"",
             error: #"configuration-qemu.toml: hypervisor.qemu.hot_plug_vfio and hypervisor.qemu.cold_plug_vfio: hot_plug_vfio = "root-port" and cold_plug_vfio = "switch-port": only one can name a port; set the other to "no-port""#),
        Case(main: base + "confidential_guest = true", dropIns: ["50-dev.toml": "[hypervisor.qemu]\naccelerator = \"tcg\""],
             error: #"config.d/50-dev.toml: hypervisor.qemu.accelerator and configuration-qemu.toml: hypervisor.qemu.confidential_guest: accelerator = "tcg" cannot run a confidential guest (TDX and SEV-SNP need KVM): set accelerator = "kvm", or use a non-confidential configuration such as configuration-qemu-coco-dev.toml"#),
        Case(main: base + "kernel_verity_params = \"root_hash=abc\"",
             error: "configuration-qemu.toml: hypervisor.qemu.kernel_verity_params: salt= is missing (all of root_hash, salt, data_blocks, data_block_size, hash_block_size are needed)"),
        Case(main: base + "kernel_verity_params = \"root_hash=ab,salt=cd,data_blocks=x,data_block_size=4096,hash_block_size=4096\"",
             error: "configuration-qemu.toml: hypervisor.qemu.kernel_verity_params: data_blocks=x is not a positive integer"),
        Case(main: base + "[runtime]\ndisable_new_netns = true",
             error: #"configuration-qemu.toml: runtime.disable_new_netns and runtime.internetworking_model: disable_new_netns = true works only with internetworking_model = "none" (found "tcfilter")"#),
        Case(main: base + "[factory]\nenable_template = true",
             error: "configuration-qemu.toml: factory.enable_template = true needs an initrd (VM templates cannot share an image): set hypervisor.qemu.initrd, or enable_template = false"),
        Case(main: base, dropIns: ["10-cpus.toml": "[hypervisor.qemu]\ndefault_maxvcpus = \"4\""],
             error: #"config.d/10-cpus.toml: hypervisor.qemu.default_maxvcpus: found string "4", expected an integer (vCPUs)"#),
    ]

    @Test(arguments: cases)
    func refused(_ c: Case) throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration-qemu.toml", c.main)
        for (name, text) in c.dropIns { try dir.write("config.d/\(name)", text) }
        #expect(throws: ConfigurationError(c.error)) {
            try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main)
        }
    }

    /// TOML syntax errors name the file, line and column, with toml++'s reason.
    @Test func syntaxErrorNamesFileAndLine() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration-qemu.toml", Self.base + "default_memory = \n")
        let dropIn = try dir.write("config.d/50-x.toml", "[hypervisor.qemu\n")
        do {
            _ = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main)
            Issue.record("loaded a file with a syntax error")
        } catch {
            #expect(error.message
                == #"configuration-qemu.toml: line 5, column 18: invalid TOML: Error while parsing key-value pair: expected value, saw '\n'"#)
        }
        try dir.write("configuration-qemu.toml", Self.base)
        do {
            _ = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main)
            Issue.record("loaded a drop-in with a syntax error")
        } catch {
            #expect(error.message
                == #"config.d/50-x.toml: line 1, column 17: invalid TOML: Error while parsing table header: expected ']', saw '\n'"#, "\(dropIn)")
        }
    }

    @Test func missingFilesSayHowThePathWasChosen() throws {
        let dir = try ScratchDirectory()
        let loader = ConfigurationLoader(searchPath: [dir.path + "/a.toml", dir.path + "/b.toml"], environment: [:])
        #expect(throws: ConfigurationError(
            "configuration file \(dir.path)/nope.toml (chosen by ConfigPath from the runtime options) does not exist: fix ConfigPath in containerd's runtime handler options")
        ) { try loader.load(configPath: dir.path + "/nope.toml") }
        #expect(throws: ConfigurationError(
            #"ConfigPath "relative.toml" from the runtime options is not an absolute path: set ConfigPath in containerd's runtime handler options to the file's absolute path"#)
        ) { try loader.load(configPath: "relative.toml") }
        #expect(throws: ConfigurationError(
            "no configuration file found in the default search path (\(dir.path)/a.toml, \(dir.path)/b.toml): install one there, or set ConfigPath in containerd's runtime handler options")
        ) { try loader.load() }
        let withEnvironment = ConfigurationLoader(searchPath: [dir.path + "/a.toml"], environment: ["KATA_CONF_FILE": dir.path + "/a.toml"])
        #expect(throws: ConfigurationError(
            "invalid KATA_CONF_FILE \"\(dir.path)/a.toml\": only shipped Kata configuration files are accepted (\(dir.path)/a.toml); to use another file, set ConfigPath in containerd's runtime handler options")
        ) { try withEnvironment.load() }
    }
}
