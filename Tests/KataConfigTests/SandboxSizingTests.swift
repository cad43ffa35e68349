import Testing
@testable import KataConfig

/// From CRI annotations to the VM's vCPUs and memory.
@Suite struct SandboxSizingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var annotations: [String: String]
        var staticResources: Bool
        var defaultVCPUs: Double = 1
        var defaultMaxVCPUs: UInt32 = 0
        var defaultMemoryMiB: UInt32 = 2048
        var vcpus: UInt32
        var maxVCPUs: UInt32
        var memoryMiB: UInt32
        var testDescription: String { name }
    }

    static let period = CRIAnnotations.sandboxCPUPeriod
    static let quota = CRIAnnotations.sandboxCPUQuota
    static let shares = CRIAnnotations.sandboxCPUShares
    static let memory = CRIAnnotations.sandboxMemory
    static let host = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 8, memoryMiB: 32768)

    static let cases: [Case] = [
        Case(name: "static, no annotations", annotations: [:], staticResources: true,
             vcpus: 1, maxVCPUs: 1, memoryMiB: 2048),
        Case(name: "static, 2.2 CPUs and 1 GiB", annotations: [period: "100000", quota: "220000", memory: "1073741824"],
             staticResources: true, vcpus: 4, maxVCPUs: 4, memoryMiB: 3072),
        Case(name: "static, 500m and 256 MiB", annotations: [period: "100000", quota: "50000", memory: "268435456"],
             staticResources: true, vcpus: 2, maxVCPUs: 2, memoryMiB: 2304),
        Case(name: "static, fractions add before rounding", annotations: [period: "100000", quota: "150000"],
             staticResources: true, defaultVCPUs: 0.5, vcpus: 2, maxVCPUs: 2, memoryMiB: 2048),
        Case(name: "static, memory rounded down to MiB", annotations: [memory: "1048575"],
             staticResources: true, vcpus: 1, maxVCPUs: 1, memoryMiB: 2048),
        Case(name: "static, unlimited quota uses shares", annotations: [period: "100000", quota: "-1", shares: "1536"],
             staticResources: true, vcpus: 3, maxVCPUs: 3, memoryMiB: 2048),
        Case(name: "static, unparsable values count as 0", annotations: [period: "x", quota: "200000", memory: "lots"],
             staticResources: true, vcpus: 1, maxVCPUs: 1, memoryMiB: 2048),
        Case(name: "static, negative memory counts as 0", annotations: [memory: "-1"],
             staticResources: true, defaultMemoryMiB: 512, vcpus: 1, maxVCPUs: 1, memoryMiB: 512),
        Case(name: "dynamic, workload hot-plugged later", annotations: [period: "100000", quota: "220000", memory: "1073741824"],
             staticResources: false, vcpus: 1, maxVCPUs: 8, memoryMiB: 2048),
        Case(name: "dynamic, maxvcpus above the host means the host", annotations: [:],
             staticResources: false, defaultMaxVCPUs: 64, vcpus: 1, maxVCPUs: 8, memoryMiB: 2048),
        Case(name: "dynamic, maxvcpus below the host", annotations: [:],
             staticResources: false, defaultVCPUs: 2, defaultMaxVCPUs: 4, vcpus: 2, maxVCPUs: 4, memoryMiB: 2048),
        Case(name: "dynamic, negative vcpus means all host CPUs", annotations: [:],
             staticResources: false, defaultVCPUs: -1, vcpus: 8, maxVCPUs: 8, memoryMiB: 2048),
        Case(name: "dynamic, fractional default rounds up", annotations: [:],
             staticResources: false, defaultVCPUs: 1.5, vcpus: 2, maxVCPUs: 8, memoryMiB: 2048),
    ]

    @Test(arguments: cases)
    func sizing(_ c: Case) {
        var configuration = KataConfiguration()
        configuration.runtime.staticSandboxResourceMgmt = c.staticResources
        configuration.hypervisor.defaultVCPUs = c.defaultVCPUs
        configuration.hypervisor.defaultMaxVCPUs = c.defaultMaxVCPUs
        configuration.hypervisor.defaultMemoryMiB = c.defaultMemoryMiB
        let sizing = SandboxSizing(
            configuration: configuration, workload: WorkloadResources(criAnnotations: c.annotations), host: Self.host)
        #expect(sizing.vcpus == c.vcpus)
        #expect(sizing.maxVCPUs == c.maxVCPUs)
        #expect(sizing.memoryMiB == c.memoryMiB)
        #expect(sizing.staticResources == c.staticResources)
        #expect(sizing.maxMemoryMiB == 32768)
        #expect(sizing.memorySlots == 10)
    }

    @Test func workloadFromAnnotations() {
        let w = WorkloadResources(criAnnotations: [Self.period: "100000", Self.quota: "220000", Self.memory: "1073741824", Self.shares: "x"])
        #expect(w.vcpus == 2.2)
        #expect(w.memoryMiB == 1024)
        #expect(w.warnings == [#"io.kubernetes.cri.sandbox-cpu-shares: "x" is not an integer; counted as 0"#])
    }

    @Test func hostCapsAndMaxMemory() {
        var configuration = KataConfiguration()
        configuration.hypervisor.defaultMaxMemoryMiB = 4096
        let big = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 512, memoryMiB: 1 << 20)
        let sizing = SandboxSizing(configuration: configuration, workload: WorkloadResources(), host: big)
        #expect(sizing.maxVCPUs == 240)
        #expect(sizing.maxMemoryMiB == 4096)
        configuration.hypervisor.defaultMaxMemoryMiB = 1 << 30
        #expect(SandboxSizing(configuration: configuration, workload: WorkloadResources(), host: big).maxMemoryMiB == 1 << 20)
    }

    /// Annotations change the defaults before sizing, as in Kata.
    @Test func annotationsThenSizing() throws {
        var configuration = KataConfiguration()
        configuration.hypervisor.image = "/i"
        configuration.hypervisor.sharedFS = .none
        configuration.hypervisor.enableAnnotations = ["default_vcpus", "default_memory"]
        configuration.runtime.staticSandboxResourceMgmt = true
        let annotations = [
            "io.katacontainers.config.hypervisor.default_vcpus": "2",
            "io.katacontainers.config.hypervisor.default_memory": "1024",
            Self.period: "100000", Self.quota: "100000", Self.memory: "536870912",
        ]
        let sandbox = try SandboxAnnotations(annotations).apply(to: configuration, configurationFile: "c.toml", host: Self.host)
        let sizing = SandboxSizing(configuration: sandbox.configuration, workload: WorkloadResources(criAnnotations: annotations), host: Self.host)
        #expect(sizing.vcpus == 3)
        #expect(sizing.maxVCPUs == 3)
        #expect(sizing.memoryMiB == 1536)
    }
}
