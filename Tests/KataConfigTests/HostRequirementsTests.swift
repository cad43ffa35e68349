import Testing
@testable import KataConfig

/// What the host lacks, and which setting selects the alternative.
@Suite struct HostRequirementsTests {
    static func host(_ kvm: HostFacts.KVM, vsock: Bool) -> HostFacts {
        HostFacts(kvm: kvm, hasVhostVsock: vsock, cpuCount: 2, memoryMiB: 4096)
    }

    @Test func thisHostWithTheShippedDefaults() {
        let problems = HostRequirements.check(KataConfiguration(), host: Self.host(.unusable(reason: "the loaded KVM module is kvm_pvm, which does not boot a stock kernel"), vsock: false))
        #expect(problems.map(\.message) == [
            #"/dev/kvm cannot run the guest (the loaded KVM module is kvm_pvm, which does not boot a stock kernel): set accelerator = "tcg" in [hypervisor.qemu] (emulation, for development hosts)"#,
            #"/dev/vhost-vsock is missing: load vhost_vsock, or set agent_channel = "virtio-serial" in [hypervisor.qemu]"#,
        ])
        #expect(problems.map(\.requirement) == ["/dev/kvm", "/dev/vhost-vsock"])
    }

    @Test func noKVM() {
        #expect(HostRequirements.check(KataConfiguration(), host: Self.host(.absent, vsock: true)).map(\.message) == [
            #"/dev/kvm is missing: load kvm_intel or kvm_amd, or set accelerator = "tcg" in [hypervisor.qemu] (emulation, for development hosts)"#,
        ])
    }

    @Test func confidentialGuestsHaveNoTCGAlternative() {
        var c = KataConfiguration()
        c.hypervisor.confidentialGuest = true
        #expect(HostRequirements.check(c, host: Self.host(.absent, vsock: true)).map(\.message) == [
            #"/dev/kvm is missing: load kvm_intel or kvm_amd, and note that a confidential guest needs KVM with TDX or SEV-SNP; on a development host use configuration-qemu-coco-dev.toml with accelerator = "tcg" in [hypervisor.qemu]"#,
        ])
    }

    @Test func alternativesSatisfyTheHost() {
        var c = KataConfiguration()
        c.hypervisor.accelerator = .tcg
        c.hypervisor.agentChannel = .virtioSerial
        #expect(HostRequirements.check(c, host: Self.host(.absent, vsock: false)) == [])
        #expect(HostRequirements.check(KataConfiguration(), host: Self.host(.usable, vsock: true)) == [])
    }

    @Test func probeReadsThisHost() {
        let facts = HostFacts.probe()
        #expect(facts.cpuCount >= 1)
        #expect(facts.memoryMiB > 0)
    }
}
