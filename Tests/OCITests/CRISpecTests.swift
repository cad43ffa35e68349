import OCI
import Protocols
import Testing

/// config.json as containerd's CRI plugin writes it for a Kubernetes container.
@Suite struct CRISpecTests {
    let spec: Grpc_Spec

    init() throws {
        spec = try OCISpec(json: Fixtures.bytes(Fixtures.cri)).agentSpec
    }

    @Test func annotations() {
        #expect(spec.annotations.count == 6)
        #expect(spec.annotations["io.kubernetes.cri.container-type"] == "container")
        #expect(spec.annotations["io.kubernetes.cri.sandbox-id"] == "5f3a9d0c2b7e")
    }

    @Test func process() {
        let process = spec.process
        #expect(process.user.uid == 1000 && process.user.gid == 3000)
        #expect(process.user.additionalGids == [3000, 2000])
        #expect(process.args == ["/bin/app", "--port=8080"])
        #expect(process.cwd == "/srv")
        #expect(process.apparmorProfile == "cri-containerd.apparmor.d")
        #expect(process.oomscoreAdj == 999)
        #expect(process.capabilities.bounding == ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"])
        #expect(spec.root.readonly)
    }

    @Test func resources() {
        let resources = spec.linux.resources
        #expect(resources.devices.count == 2)
        #expect(resources.devices[1].allow && resources.devices[1].type == "c")
        #expect(resources.devices[1].major == 1 && resources.devices[1].minor == 3)
        #expect(resources.memory.limit == 134_217_728)
        #expect(resources.memory.swap == 134_217_728)
        #expect(resources.memory.reservation == 0)
        #expect(!resources.memory.disableOomkiller)
        #expect(resources.cpu.shares == 102)
        #expect(resources.cpu.quota == 50000)
        #expect(resources.cpu.period == 100_000)
        #expect(resources.cpu.cpus.isEmpty)
        #expect(resources.pids.limit == 4096)
        #expect(resources.blockIo.weight == 500)
        #expect(resources.blockIo.throttleReadBpsDevice.first?.major == 8)
        #expect(resources.blockIo.throttleReadBpsDevice.first?.rate == 1_048_576)
        #expect(resources.hugepageLimits.first?.pagesize == "2MB")
        #expect(resources.hugepageLimits.first?.limit == 0)
    }

    @Test func linux() {
        let linux = spec.linux
        #expect(linux.sysctl == ["net.ipv4.ip_unprivileged_port_start": "0"])
        #expect(linux.cgroupsPath == "kubepods-burstable-pod9c1e.slice:cri-containerd:4d2a")
        #expect(linux.namespaces.map(\.path) == ["", "/proc/4242/ns/ipc", "/proc/4242/ns/uts", "", "/var/run/netns/cni-1a2b"])
        #expect(linux.rootfsPropagation == "rslave")
        #expect(linux.devices.count == 1)
        #expect(linux.devices[0].path == "/dev/fuse")
        #expect(linux.devices[0].major == 10 && linux.devices[0].minor == 229)
        #expect(linux.devices[0].fileMode == 0o666)
    }

    @Test func seccomp() {
        #expect(spec.linux.hasSeccomp)
        let seccomp = spec.linux.seccomp
        #expect(seccomp.defaultAction == "SCMP_ACT_ERRNO")
        #expect(seccomp.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(seccomp.syscalls.count == 3)
        #expect(seccomp.syscalls[0].names == ["accept", "read", "write"])
        #expect(seccomp.syscalls[0].errnoRet == nil)
        let personality = seccomp.syscalls[1]
        #expect(personality.args.count == 1)
        #expect(personality.args[0].index == 0 && personality.args[0].value == 8 && personality.args[0].op == "SCMP_CMP_EQ")
        #expect(seccomp.syscalls[2].errnoRet == .errnoret(38))
    }

    /// containerd's Update carries the new `LinuxResources` as JSON.
    @Test func updateResources() throws {
        let json = #"{"memory": {"limit": 268435456, "swappiness": 0}, "cpu": {"shares": 512, "quota": -1, "cpus": "0-1", "mems": "0"}}"#
        let resources = try OCIResources(json: Fixtures.bytes(json)).agentResources
        #expect(resources.memory.limit == 268_435_456)
        #expect(resources.cpu.shares == 512)
        #expect(resources.cpu.quota == -1)
        #expect(resources.cpu.cpus == "0-1" && resources.cpu.mems == "0")
        #expect(!resources.hasPids && resources.devices.isEmpty)
    }
}
