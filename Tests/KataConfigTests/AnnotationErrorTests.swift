import Testing
@testable import KataConfig

/// Bad annotations: each fails sandbox creation with exactly this message.
@Suite struct AnnotationErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var annotations: [String: String]
        var error: String
        /// Use configuration-qemu.toml's allow-list instead of ".*".
        var qemuAllowList = false
        var testDescription: String { error }
    }

    static let h = "io.katacontainers.config.hypervisor."
    static let r = "io.katacontainers.config.runtime."
    static let a = "io.katacontainers.config.agent."

    static func configuration(qemuAllowList: Bool) -> KataConfiguration {
        var c = KataConfiguration()
        c.hypervisor.image = "/opt/kata/share/kata-containers/kata-containers.img"
        c.hypervisor.sharedFS = .none
        c.hypervisor.enableAnnotations = qemuAllowList ? ["enable_iommu", "kernel_params", "kernel_verity_params"] : [".*"]
        c.hypervisor.validHypervisorPaths = ["/opt/kata/bin/qemu-system-*"]
        c.hypervisor.validVirtioFSDaemonPaths = ["/opt/kata/libexec/virtiofsd"]
        c.hypervisor.validEntropySources = ["/dev/urandom", "/dev/random", ""]
        return c
    }

    static let host = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 4, memoryMiB: 8192)

    static let cases: [Case] = [
        Case(annotations: [h + "default_memory": "4096"], error:
            #"annotation io.katacontainers.config.hypervisor.default_memory is not enabled: add "default_memory" to enable_annotations in [hypervisor.qemu] of configuration-qemu.toml"#,
            qemuAllowList: true),
        // Kata's unanchored match would admit these two.
        Case(annotations: [h + "kernel_params_extra": "x"], error:
            #"annotation io.katacontainers.config.hypervisor.kernel_params_extra is not enabled: add "kernel_params_extra" to enable_annotations in [hypervisor.qemu] of configuration-qemu.toml"#,
            qemuAllowList: true),
        Case(annotations: [h + "xkernel_params": "x"], error:
            #"annotation io.katacontainers.config.hypervisor.xkernel_params is not enabled: add "xkernel_params" to enable_annotations in [hypervisor.qemu] of configuration-qemu.toml"#,
            qemuAllowList: true),
        Case(annotations: [h + "default_memory": "lots"], error:
            #"annotation io.katacontainers.config.hypervisor.default_memory: "lots" is not an unsigned integer (MiB)"#),
        Case(annotations: [h + "default_memory": "-1"], error:
            #"annotation io.katacontainers.config.hypervisor.default_memory: "-1" is not an unsigned integer (MiB)"#),
        Case(annotations: [h + "default_memory": "128"], error:
            "annotation io.katacontainers.config.hypervisor.default_memory: 128 MiB is below the minimum of 256 MiB: ask for at least 256"),
        Case(annotations: [h + "default_memory": "99999999999"], error:
            "annotation io.katacontainers.config.hypervisor.default_memory: 99999999999 is too large: at most 4294967295 (MiB)"),
        Case(annotations: [h + "default_vcpus": "5"], error:
            "annotation io.katacontainers.config.hypervisor.default_vcpus: 5 vCPUs is more than the 4 CPUs of this host: ask for at most 4"),
        Case(annotations: [h + "default_vcpus": "4.5"], error:
            "annotation io.katacontainers.config.hypervisor.default_vcpus: 4.5 vCPUs is more than the 4 CPUs of this host: ask for at most 4"),
        Case(annotations: [h + "default_vcpus": "-1"], error:
            #"annotation io.katacontainers.config.hypervisor.default_vcpus: "-1" is not a non-negative number (vCPUs)"#),
        Case(annotations: [h + "default_vcpus": "nan"], error:
            #"annotation io.katacontainers.config.hypervisor.default_vcpus: "nan" is not a non-negative number (vCPUs)"#),
        Case(annotations: [h + "default_max_vcpus": "8"], error:
            "annotation io.katacontainers.config.hypervisor.default_max_vcpus: 8 vCPUs is more than the 4 CPUs of this host: ask for at most 4"),
        Case(annotations: [h + "memory_slots": "many"], error:
            #"annotation io.katacontainers.config.hypervisor.memory_slots: "many" is not an unsigned integer (slots)"#),
        Case(annotations: [h + "enable_iommu": "yes"], error:
            #"annotation io.katacontainers.config.hypervisor.enable_iommu: "yes" is not a boolean: use true or false (Go's 1, t, T, TRUE, True, 0, f, F, FALSE, False also work)"#),
        Case(annotations: [h + "disable_image_nvdimm": ""], error:
            #"annotation io.katacontainers.config.hypervisor.disable_image_nvdimm: "" is not a boolean: use true or false (Go's 1, t, T, TRUE, True, 0, f, F, FALSE, False also work)"#),
        Case(annotations: [h + "kernel": "vmlinuz"], error:
            #"annotation io.katacontainers.config.hypervisor.kernel: "vmlinuz" is not an absolute path"#),
        Case(annotations: [h + "path": "/usr/bin/qemu-system-x86_64"], error:
            #"annotation io.katacontainers.config.hypervisor.path: "/usr/bin/qemu-system-x86_64" is not allowed: valid_hypervisor_paths in [hypervisor.qemu] of configuration-qemu.toml is ["/opt/kata/bin/qemu-system-*"]; add a pattern matching it there"#),
        Case(annotations: [h + "virtio_fs_daemon": "/tmp/evil"], error:
            #"annotation io.katacontainers.config.hypervisor.virtio_fs_daemon: "/tmp/evil" is not allowed: valid_virtio_fs_daemon_paths in [hypervisor.qemu] of configuration-qemu.toml is ["/opt/kata/libexec/virtiofsd"]; add a pattern matching it there"#),
        Case(annotations: [h + "entropy_source": "/dev/zero"], error:
            #"annotation io.katacontainers.config.hypervisor.entropy_source: "/dev/zero" is not allowed: valid_entropy_sources in [hypervisor.qemu] of configuration-qemu.toml is ["/dev/urandom", "/dev/random", ""]; add a pattern matching it there"#),
        Case(annotations: [h + "file_mem_backend": "/dev/shm"], error:
            "annotation io.katacontainers.config.hypervisor.file_mem_backend: \"/dev/shm\" is not allowed: valid_file_mem_backends in [hypervisor.qemu] of configuration-qemu.toml is empty; add a pattern matching it there"),
        Case(annotations: [h + "image": "/x.img", h + "initrd": "/x.initrd"], error:
            "annotations io.katacontainers.config.hypervisor.image and io.katacontainers.config.hypervisor.initrd are both set: a sandbox boots either an image or an initrd; remove one"),
        Case(annotations: [h + "initrd": "/x.initrd"], error:
            #"annotation io.katacontainers.config.hypervisor.initrd conflicts with image = "/opt/kata/share/kata-containers/kata-containers.img" in [hypervisor.qemu] of configuration-qemu.toml: a sandbox boots either an image or an initrd; remove the annotation, or use a runtime class whose configuration boots the same kind"#),
        Case(annotations: [h + "shared_fs": "none"], error:
            #"annotation io.katacontainers.config.hypervisor.shared_fs: "none" is not one of "virtio-fs", "virtio-9p""#),
        Case(annotations: [h + "shared_fs": "virtio-fs"], error:
            #"annotation io.katacontainers.config.hypervisor.shared_fs: "virtio-fs" needs virtio_fs_daemon, which is empty in [hypervisor.qemu] of configuration-qemu.toml: set it there"#),
        Case(annotations: [h + "block_device_aio": "posix"], error:
            #"annotation io.katacontainers.config.hypervisor.block_device_aio: "posix" is not one of "io_uring", "native", "threads""#),
        Case(annotations: [h + "msize_9p": "0"], error:
            "annotation io.katacontainers.config.hypervisor.msize_9p: 0 is not a valid 9p msize: use a positive number of bytes"),
        Case(annotations: [h + "virtio_fs_extra_args": "--thread-pool-size=1"], error:
            #"annotation io.katacontainers.config.hypervisor.virtio_fs_extra_args: is not a JSON array of strings (expected '['), such as ["-o", "xattr"]"#),
        Case(annotations: [h + "kernel_verity_params": "root_hash=zz,salt=00,data_blocks=1,data_block_size=4096,hash_block_size=4096"], error:
            "annotation io.katacontainers.config.hypervisor.kernel_verity_params: root_hash=zz is not a hexadecimal digest"),
        Case(annotations: [h + "jailer_path": "/usr/bin/jailer"], error:
            "annotation io.katacontainers.config.hypervisor.jailer_path: is not supported by this runtime (there is no jailer with QEMU); remove the annotation"),
        Case(annotations: [h + "kernel_hash": "abc"], error:
            "annotation io.katacontainers.config.hypervisor.kernel_hash: is not supported by this runtime (asset hashes are not verified by this runtime); remove the annotation"),
        Case(annotations: [h + "cc_init_data": "%%%"], error:
            "annotation io.katacontainers.config.hypervisor.cc_init_data: is not standard base64 (a character outside A-Z, a-z, 0-9, +, / at offset 0): encode the gzip file with `base64 -w0`"),
        Case(annotations: [h + "cc_init_data": "aGVsbG8gd29ybGQ="], error:
            "annotation io.katacontainers.config.hypervisor.cc_init_data: is not gzip data (incorrect header check): compress the TOML document with `gzip -c`"),
        Case(annotations: [h + "cc_init_data": "H4sIAAAA"], error:
            "annotation io.katacontainers.config.hypervisor.cc_init_data: is not a complete gzip stream (it ends early): compress the TOML document with `gzip -c`"),
        Case(annotations: [r + "experimental": "force_guest_pull warp_drive"], error:
            #"annotation io.katacontainers.config.runtime.experimental: unknown experimental feature "warp_drive": this runtime knows "force_guest_pull""#),
        Case(annotations: [r + "create_container_timeout": "60s"], error:
            #"annotation io.katacontainers.config.runtime.create_container_timeout: "60s" is not an unsigned integer (seconds)"#),
        Case(annotations: [r + "create_container_timeout": "0"], error:
            "annotation io.katacontainers.config.runtime.create_container_timeout: 0 seconds would fail every container creation: give the seconds CreateContainer may take, image pull included"),
        Case(annotations: [r + "experimental_force_guest_pull": "on"], error:
            #"annotation io.katacontainers.config.runtime.experimental_force_guest_pull: "on" is not a boolean: use true or false (Go's 1, t, T, TRUE, True, 0, f, F, FALSE, False also work)"#),
        Case(annotations: [r + "sandbox_cgroup_only": "2"], error:
            #"annotation io.katacontainers.config.runtime.sandbox_cgroup_only: "2" is not a boolean: use true or false (Go's 1, t, T, TRUE, True, 0, f, F, FALSE, False also work)"#),
        Case(annotations: [r + "internetworking_model": "bridge"], error:
            #"annotation io.katacontainers.config.runtime.internetworking_model: "bridge" is not one of "tcfilter", "macvtap", "none""#),
        Case(annotations: [a + "policy": "not base64!"], error:
            "annotation io.katacontainers.config.agent.policy: is not standard base64: encode the Rego file with `base64 -w0`"),
        Case(annotations: [a + "policy": "/w=="], error:
            "annotation io.katacontainers.config.agent.policy: decodes to bytes that are not UTF-8 text: the policy must be a Rego document"),
        Case(annotations: [a + "container_pipe_size": "big"], error:
            #"annotation io.katacontainers.config.agent.container_pipe_size: "big" is not an unsigned integer (bytes)"#),
        Case(annotations: ["io.katacontainers.enable_vcpus_pinning": "sure"], error:
            #"annotation io.katacontainers.enable_vcpus_pinning: "sure" is not a boolean: use true or false (Go's 1, t, T, TRUE, True, 0, f, F, FALSE, False also work)"#),
    ]

    @Test(arguments: cases)
    func refused(_ c: Case) {
        let configuration = Self.configuration(qemuAllowList: c.qemuAllowList)
        #expect {
            try SandboxAnnotations(c.annotations)
                .apply(to: configuration, configurationFile: "configuration-qemu.toml", host: Self.host)
        } throws: { error in
            guard let error = error as? AnnotationError else { return false }
            #expect(error.message == c.error)
            return error.message == c.error
        }
    }
}
