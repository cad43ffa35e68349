import OCI
import Protocols
import Testing

/// JSON → agent protocol → JSON keeps the meaning: what comes back equals
/// what went in, up to empty lists the protocol cannot tell from absent ones.
@Suite struct RoundTripTests {
    @Test(arguments: ["ctr run": Fixtures.ctrRun, "CRI": Fixtures.cri])
    func spec(name: String, json: String) throws {
        let original = try OCISpec(json: Fixtures.bytes(json))
        let agent = original.agentSpec
        let back = OCISpec(agent)
        #expect(normalized(back) == normalized(original))
        // And through the wire form and JSON text once more.
        let decoded = try OCISpec(json: try OCISpec(try Grpc_Spec(serializedBytes: try agent.serializedBytes() as [UInt8])).json())
        #expect(normalized(decoded) == normalized(original))
    }

    @Test func process() throws {
        let original = try OCIProcess(json: Fixtures.bytes(Fixtures.exec))
        var expected = original
        expected.user?.umask = nil  // no place for it in the agent protocol
        #expect(OCIProcess(original.agentProcess) == expected)
    }

    @Test func resources() throws {
        let original = OCIResources(
            devices: [.init(allow: false, access: "rwm"), .init(allow: true, type: "b", major: 8, minor: nil, access: "r")],
            memory: .init(limit: 1 << 30, reservation: 1 << 29, swap: -1, kernel: 1 << 20, kernelTCP: 1 << 19, swappiness: 60,
                          disableOOMKiller: true),
            cpu: .init(shares: 1024, quota: 100_000, period: 100_000, realtimeRuntime: 950_000, realtimePeriod: 1_000_000,
                       cpus: "0-3", mems: "0"),
            pids: .init(limit: 100),
            blockIO: .init(weight: 300, leafWeight: 200, weightDevice: [.init(major: 8, minor: 0, weight: 400, leafWeight: 100)],
                           throttleReadBpsDevice: [.init(major: 8, minor: 0, rate: 1)],
                           throttleWriteBpsDevice: [.init(major: 8, minor: 0, rate: 2)],
                           throttleReadIOPSDevice: [.init(major: 8, minor: 0, rate: 3)],
                           throttleWriteIOPSDevice: [.init(major: 8, minor: 16, rate: 4)]),
            hugepageLimits: [.init(pageSize: "1GB", limit: 1 << 30)],
            network: .init(classID: 0x10001, priorities: [.init(name: "eth0", priority: 5)]))
        #expect(OCIResources(original.agentResources) == original)
        let decoded = try OCIResources(json: try original.json())
        #expect(decoded == original)
    }

    @Test func seccompAndIntelRdt() {
        let linux = OCISpec.Linux(
            uidMappings: [.init(containerID: 0, hostID: 100_000, size: 65536)],
            gidMappings: [.init(containerID: 0, hostID: 100_000, size: 65536)],
            namespaces: [.init(type: "user"), .init(type: "mount")],
            seccomp: .init(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_AARCH64"], flags: ["SECCOMP_FILTER_FLAG_LOG"],
                           syscalls: [.init(names: ["mount"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
                                            args: [.init(index: 1, value: 2, valueTwo: 3, op: "SCMP_CMP_MASKED_EQ")])]),
            mountLabel: "system_u:object_r:container_file_t:s0",
            intelRdt: .init(l3CacheSchema: "L3:0=ff"))
        #expect(OCISpec.Linux(linux.agentLinux) == linux)
    }

    /// Empty capability sets come back as empty lists, not absent ones; the
    /// same to a runtime.
    private func normalized(_ spec: OCISpec) -> OCISpec {
        var spec = spec
        if var capabilities = spec.process?.capabilities {
            func clean(_ set: [String]?) -> [String]? { set?.isEmpty == true ? nil : set }
            capabilities.bounding = clean(capabilities.bounding)
            capabilities.effective = clean(capabilities.effective)
            capabilities.inheritable = clean(capabilities.inheritable)
            capabilities.permitted = clean(capabilities.permitted)
            capabilities.ambient = clean(capabilities.ambient)
            spec.process?.capabilities = capabilities
        }
        return spec
    }
}
