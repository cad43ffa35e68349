import OCI
import Protocols
import Testing

/// config.json as `ctr run` writes it, to the agent's `Grpc_Spec`.
@Suite struct CtrRunSpecTests {
    let spec: Grpc_Spec

    init() throws {
        spec = try OCISpec(json: Fixtures.bytes(Fixtures.ctrRun)).agentSpec
    }

    @Test func versionRootAndProcess() {
        #expect(spec.version == "1.0.2-dev")
        #expect(spec.root.path == "rootfs")
        #expect(!spec.root.readonly)
        #expect(spec.hostname.isEmpty)
        let process = spec.process
        #expect(process.args == ["sh"])
        #expect(process.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        #expect(process.cwd == "/")
        #expect(!process.terminal)
        #expect(!process.hasConsoleSize)
        #expect(process.hasUser)
        #expect(process.user.uid == 0 && process.user.gid == 0)
        #expect(process.user.additionalGids == [10])
        #expect(process.noNewPrivileges)
        #expect(process.oomscoreAdj == 0)
    }

    @Test func capabilitiesAndRlimits() {
        let capabilities = spec.process.capabilities
        #expect(capabilities.bounding == Fixtures.defaultCapabilities)
        #expect(capabilities.effective == Fixtures.defaultCapabilities)
        #expect(capabilities.permitted == Fixtures.defaultCapabilities)
        #expect(capabilities.inheritable.isEmpty)
        #expect(capabilities.ambient.isEmpty)
        #expect(spec.process.rlimits.count == 1)
        #expect(spec.process.rlimits.first?.type == "RLIMIT_NOFILE")
        #expect(spec.process.rlimits.first?.hard == 1024)
        #expect(spec.process.rlimits.first?.soft == 1024)
    }

    @Test func mounts() {
        #expect(spec.mounts.map(\.destination) == [
            "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/run",
        ])
        #expect(spec.mounts.map(\.type) == ["proc", "tmpfs", "devpts", "tmpfs", "mqueue", "sysfs", "cgroup", "tmpfs"])
        let pts = spec.mounts[2]
        #expect(pts.source == "devpts")
        #expect(pts.options == ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
        #expect(spec.mounts[3].source == "shm")
        #expect(spec.mounts[5].options.last == "ro")
    }

    @Test func linux() {
        #expect(spec.hasLinux)
        let linux = spec.linux
        #expect(linux.cgroupsPath == "/default/t1")
        #expect(linux.namespaces.map(\.type) == ["pid", "ipc", "uts", "mount", "network"])
        #expect(linux.namespaces.allSatisfy { $0.path.isEmpty })
        #expect(linux.maskedPaths.count == 10)
        #expect(linux.maskedPaths.first == "/proc/acpi")
        #expect(linux.maskedPaths.last == "/proc/scsi")
        #expect(linux.readonlyPaths == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
        #expect(!linux.hasSeccomp)
        #expect(linux.uidmappings.isEmpty && linux.sysctl.isEmpty && linux.devices.isEmpty)
    }

    /// Deny-all: no type, no major or minor; the agent reads -1 as "any".
    @Test func devicesDenyAll() {
        let resources = spec.linux.resources
        #expect(spec.linux.hasResources)
        #expect(resources.devices.count == 1)
        let rule = resources.devices[0]
        #expect(!rule.allow)
        #expect(rule.type.isEmpty)
        #expect(rule.major == -1 && rule.minor == -1)
        #expect(rule.access == "rwm")
        #expect(!resources.hasMemory && !resources.hasCpu && !resources.hasPids && !resources.hasBlockIo)
    }

    /// Hooks and keys the spec types do not know are dropped, not refused.
    @Test func hooksAndUnknownKeysAreDropped() {
        #expect(!spec.hasHooks)
        #expect(spec.annotations.isEmpty)
    }
}
