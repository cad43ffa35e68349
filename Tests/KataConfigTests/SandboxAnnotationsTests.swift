import Testing
@testable import KataConfig

/// Annotations that are accepted, and what they change.
@Suite struct SandboxAnnotationsTests {
    static let h = "io.katacontainers.config.hypervisor."
    static let host = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 8, memoryMiB: 16384)

    static func configuration(_ patterns: [String]) -> KataConfiguration {
        var c = KataConfiguration()
        c.hypervisor.image = "/opt/kata/share/kata-containers/kata-containers.img"
        c.hypervisor.virtioFSDaemon = "/opt/kata/libexec/virtiofsd"
        c.hypervisor.enableAnnotations = patterns
        c.hypervisor.validHypervisorPaths = ["/opt/kata/bin/qemu-system-*"]
        c.hypervisor.validVirtioFSDaemonPaths = ["/opt/kata/libexec/virtiofsd"]
        c.hypervisor.validEntropySources = ["/dev/urandom", "/dev/random", ""]
        c.hypervisor.kernelParams = ["cgroup_no_v1=all", "systemd.unified_cgroup_hierarchy=1"]
        return c
    }

    static func apply(_ annotations: [String: String], patterns: [String] = [".*"]) throws -> SandboxConfiguration {
        try SandboxAnnotations(annotations).apply(
            to: configuration(patterns), configurationFile: "configuration-qemu.toml", host: host)
    }

    @Test func wholeNameMatching() {
        let patterns = ["kernel_params", "default_.*", "cc_init_data"]
        #expect(SandboxAnnotations.isEnabled("kernel_params", patterns: patterns))
        #expect(SandboxAnnotations.isEnabled("default_memory", patterns: patterns))
        #expect(SandboxAnnotations.isEnabled("default_vcpus", patterns: patterns))
        #expect(!SandboxAnnotations.isEnabled("kernel_params_x", patterns: patterns))
        #expect(!SandboxAnnotations.isEnabled("my_default_memory", patterns: patterns))
        #expect(!SandboxAnnotations.isEnabled("path", patterns: patterns))
        #expect(!SandboxAnnotations.isEnabled("anything", patterns: []))
        #expect(SandboxAnnotations.isEnabled("kernel_params_x", patterns: ["kernel_params.*"]))
    }

    @Test func otherPrefixesNeedNoAllowList() throws {
        let s = try Self.apply([
            "io.katacontainers.config.runtime.create_container_timeout": "300",
            "io.katacontainers.config.agent.container_pipe_size": "65536",
            "io.kubernetes.cri.container-type": "sandbox",
        ], patterns: [])
        #expect(s.configuration.runtime.createContainerTimeoutSeconds == 300)
        #expect(s.configuration.agent.containerPipeSize == 65536)
    }

    @Test func hypervisorValuesAreApplied() throws {
        let s = try Self.apply([
            Self.h + "default_memory": "4096",
            Self.h + "default_vcpus": "2.5",
            Self.h + "default_max_vcpus": "8",
            Self.h + "memory_slots": "4",
            Self.h + "machine_type": "q35",
            Self.h + "cpu_features": "pmu=off, vmx=off",
            Self.h + "disable_image_nvdimm": "T",
            Self.h + "enable_iommu": "1",
            Self.h + "path": "/opt/kata/bin/qemu-system-x86_64",
            Self.h + "kernel": "/opt/other/vmlinux",
            Self.h + "firmware": "/usr/share/ovmf/OVMF.fd",
            Self.h + "entropy_source": "/dev/random",
            Self.h + "shared_fs": "virtio-9p",
            Self.h + "virtio_fs_daemon": "/opt/kata/libexec/virtiofsd",
            Self.h + "virtio_fs_extra_args": #"["-o", "xattr", "--log=\"debug\""]"#,
            Self.h + "cold_plug_vfio": "root-port",
        ])
        let c = s.configuration.hypervisor
        #expect(c.defaultMemoryMiB == 4096)
        #expect(c.defaultVCPUs == 2.5)
        #expect(c.defaultMaxVCPUs == 8)
        #expect(c.memorySlots == 4)
        #expect(c.cpuFeatures == "pmu=off,vmx=off")
        #expect(c.disableImageNvdimm)
        #expect(c.enableIOMMU)
        #expect(c.path == "/opt/kata/bin/qemu-system-x86_64")
        #expect(c.kernel == "/opt/other/vmlinux")
        #expect(c.firmware == "/usr/share/ovmf/OVMF.fd")
        #expect(c.entropySource == "/dev/random")
        #expect(c.sharedFS == .virtio9P)
        #expect(c.virtioFSExtraArgs == ["-o", "xattr", "--log=\"debug\""])
        #expect(c.coldPlugVFIO == "root-port")
        #expect(c.hotPlugVFIO == "no-port")
        #expect(s.warnings == [])
    }

    /// The annotation's parameters are kept apart: the command line applies
    /// them with Kata's override rule.
    @Test func kernelParams() throws {
        let s = try Self.apply([Self.h + "kernel_params": "cgroup_no_v1=none agent.log=debug quiet"], patterns: ["kernel_params"])
        #expect(s.annotationKernelParams.map(\.description) == ["cgroup_no_v1=none", "agent.log=debug", "quiet"])
        #expect(s.configuration.hypervisor.kernelParams == ["cgroup_no_v1=all", "systemd.unified_cgroup_hierarchy=1"])
    }

    @Test func runtimeAndAgentValuesAreApplied() throws {
        let s = try Self.apply([
            "io.katacontainers.config.runtime.experimental": "force_guest_pull",
            "io.katacontainers.config.runtime.disable_guest_seccomp": "false",
            "io.katacontainers.config.runtime.sandbox_cgroup_only": "TRUE",
            "io.katacontainers.config.runtime.vfio_mode": "vfio",
            "io.katacontainers.config.agent.kernel_modules": "e1000e InterruptThrottleRate=3000,3000,3000 EEE=1; i915 enable_ppgtt=0 ;",
            "io.katacontainers.config.agent.enable_tracing": "true",
            "io.katacontainers.enable_vcpus_pinning": "true",
        ])
        #expect(s.configuration.runtime.experimental == ["force_guest_pull"])
        #expect(s.configuration.runtime.forceGuestPull)
        #expect(s.configuration.runtime.disableGuestSeccomp == false)
        #expect(s.configuration.runtime.sandboxCgroupOnly)
        #expect(s.configuration.runtime.vfioMode == "vfio")
        #expect(s.configuration.runtime.enableVCPUsPinning)
        #expect(s.configuration.agent.kernelModules == ["e1000e InterruptThrottleRate=3000,3000,3000 EEE=1", "i915 enable_ppgtt=0"])
        #expect(s.configuration.agent.enableTracing)
    }

    @Test func forceGuestPullAnnotation() throws {
        let s = try Self.apply(["io.katacontainers.config.runtime.experimental_force_guest_pull": "true"])
        #expect(s.configuration.runtime.forceGuestPull)
    }

    @Test func policyIsDecodedToText() throws {
        let rego = "package agent_policy\n\ndefault ExecProcessRequest := false\n"
        let s = try Self.apply([
            "io.katacontainers.config.agent.policy": Base64.encode(Array(rego.utf8)),
        ], patterns: [])
        #expect(s.agentPolicy == rego)
    }

    @Test func unknownNamesAreWarnings() throws {
        let s = try Self.apply([
            Self.h + "frobnicate": "1",
            "io.katacontainers.config.runtime.new_thing": "x",
            "io.katacontainers.config_path": "/tmp/evil.toml",
        ])
        #expect(s.warnings == [
            "annotation io.katacontainers.config.hypervisor.frobnicate is not a hypervisor setting this runtime knows; ignored",
            "annotation io.katacontainers.config.runtime.new_thing is not a runtime setting this runtime knows; ignored",
            "annotation io.katacontainers.config_path is ignored: a pod cannot choose the host's configuration file; set ConfigPath in the runtime handler options",
        ])
    }

    @Test func theConfigurationIsLeftAlone() throws {
        let before = Self.configuration([".*"])
        let s = try SandboxAnnotations([Self.h + "default_memory": "512"])
            .apply(to: before, configurationFile: "x.toml", host: Self.host)
        #expect(before.hypervisor.defaultMemoryMiB == 2048)
        #expect(s.configuration.hypervisor.defaultMemoryMiB == 512)
    }

    /// The "of <file>" names the file that set enable_annotations.
    @Test func messagesNameTheFileThatSetTheAllowList() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("configuration-qemu.toml", "[hypervisor.qemu]\nimage = \"/i\"\nshared_fs = \"none\"\nenable_annotations = []\n")
        try dir.write("config.d/60-annotations.toml", "[hypervisor.qemu]\nenable_annotations = [\"kernel_params\"]\n")
        let loaded = try ConfigurationLoader(searchPath: [], environment: [:]).load(configPath: main)
        #expect {
            try SandboxAnnotations([Self.h + "default_vcpus": "1"]).apply(to: loaded, host: Self.host)
        } throws: { error in
            (error as? AnnotationError)?.message
                == #"annotation io.katacontainers.config.hypervisor.default_vcpus is not enabled: add "default_vcpus" to enable_annotations in [hypervisor.qemu] of config.d/60-annotations.toml"#
        }
    }
}
