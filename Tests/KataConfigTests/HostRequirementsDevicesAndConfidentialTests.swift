import Glibc
import Testing
@testable import KataConfig

/// The checks beyond KVM and vhost-vsock: vhost-net, the CPU's
/// virtualization, TDX and SEV-SNP, the warnings, and the probe's parsing.
@Suite struct HostRequirementsDevicesAndConfidentialTests {
    /// A host that satisfies the shipped non-confidential defaults, changed by `change`.
    static func host(_ change: (inout HostFacts) -> Void = { _ in }) -> HostFacts {
        var facts = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 4, memoryMiB: 8192,
                              hasVhostNet: true, cpuVirtualization: .vmx)
        change(&facts)
        return facts
    }

    static func configuration(_ change: (inout HypervisorConfiguration) -> Void) -> KataConfiguration {
        var c = KataConfiguration()
        change(&c.hypervisor)
        return c
    }

    static let tdx = configuration { $0.confidentialGuest = true }
    static let snp = configuration { $0.confidentialGuest = true; $0.sevSnpGuest = true }

    @Test func newFieldsDefaultToNoNewProblem() {
        let facts = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 1, memoryMiB: 1024)
        #expect(facts.hasVhostNet)
        #expect(facts.cpuVirtualization == .unknown)
        #expect(!facts.hasTDX && !facts.hasSEVSNP && !facts.hasSEV && !facts.nested)
        #expect(HostRequirements.check(KataConfiguration(), host: facts) == [])
    }

    @Test func vhostNetMissing() {
        let problems = HostRequirements.check(KataConfiguration(), host: Self.host { $0.hasVhostNet = false })
        #expect(problems.map(\.requirement) == ["/dev/vhost-net"])
        #expect(problems.map(\.message) == [
            "/dev/vhost-net is missing: load vhost_net (modprobe vhost_net), or set disable_vhost_net = true in [hypervisor.qemu] (virtio-net in QEMU's userspace, slower)",
        ])
    }

    @Test func vhostNetNotNeededWhenDisabled() {
        let c = Self.configuration { $0.disableVhostNet = true }
        #expect(HostRequirements.check(c, host: Self.host { $0.hasVhostNet = false }) == [])
    }

    @Test func noVirtualizationFlagsExplainAMissingKVM() {
        let problems = HostRequirements.check(KataConfiguration(), host: Self.host {
            $0.kvm = .absent
            $0.cpuVirtualization = .none
            $0.nested = true
        })
        #expect(problems.map(\.requirement) == ["/dev/kvm", "vmx or svm"])
        #expect(problems.last?.message == #"the CPU offers neither vmx (Intel VT-x) nor svm (AMD-V) in /proc/cpuinfo: enable virtualization in the firmware, or nested virtualization on the hypervisor this host runs on, or set accelerator = "tcg" in [hypervisor.qemu]"#)
        // With the flag, loading the module is the remedy and the KVM problem says so alone.
        let withFlag = HostRequirements.check(KataConfiguration(), host: Self.host { $0.kvm = .absent; $0.cpuVirtualization = .svm })
        #expect(withFlag.map(\.requirement) == ["/dev/kvm"])
        // Unknown flags (hand-built facts) claim nothing.
        #expect(HostRequirements.check(KataConfiguration(), host: Self.host { $0.kvm = .absent; $0.cpuVirtualization = .unknown }).count == 1)
        // TCG needs no virtualization at all.
        let tcg = Self.configuration { $0.accelerator = .tcg }
        #expect(HostRequirements.check(tcg, host: Self.host { $0.kvm = .absent; $0.cpuVirtualization = .none }) == [])
    }

    @Test func tdxConfigurationOnAHostWithoutTDX() {
        let problems = HostRequirements.check(Self.tdx, host: Self.host())
        #expect(problems.map(\.requirement) == ["/sys/module/kvm_intel/parameters/tdx"])
        #expect(problems.first?.message == "this is a TDX configuration (confidential_guest = true without sev_snp_guest) but the host's KVM offers no TDX (/sys/module/kvm_intel/parameters/tdx is not Y): enable TDX in the firmware and load kvm_intel with tdx=1 (a TDX host kernel), or use a non-confidential configuration such as configuration-qemu-coco-dev.toml on this host")
    }

    @Test func tdxConfigurationOnATDXHost() {
        #expect(HostRequirements.check(Self.tdx, host: Self.host { $0.hasTDX = true }) == [])
        #expect(ConfidentialTechnology.required(by: Self.tdx.hypervisor, on: Self.host { $0.hasTDX = true }) == .tdx)
    }

    @Test func withoutSevSnpGuestAnAMDHostRunsPlainSEV() {
        // Kata's choice from the host: an SEV or SEV-SNP host runs the guest as plain SEV.
        for host in [Self.host { $0.hasSEV = true }, Self.host { $0.hasSEVSNP = true }] {
            #expect(ConfidentialTechnology.required(by: Self.tdx.hypervisor, on: host) == .sev)
            #expect(HostRequirements.check(Self.tdx, host: host) == [])
        }
    }

    @Test func snpConfigurationOnAHostWithoutSNP() {
        // A TDX or plain-SEV host does not make an SEV-SNP configuration runnable.
        for host in [Self.host(), Self.host { $0.hasTDX = true }, Self.host { $0.hasSEV = true }] {
            let problems = HostRequirements.check(Self.snp, host: host)
            #expect(problems.map(\.requirement) == ["/sys/module/kvm_amd/parameters/sev_snp"])
            #expect(problems.first?.message == "this is an SEV-SNP configuration (sev_snp_guest = true) but the host's KVM offers no SEV-SNP (/sys/module/kvm_amd/parameters/sev_snp is not Y): enable SEV-SNP in the firmware and load kvm_amd with sev_snp=1 (an SEV-SNP host kernel), or use a non-confidential configuration such as configuration-qemu-coco-dev.toml on this host")
        }
    }

    @Test func snpConfigurationOnAnSNPHost() {
        #expect(HostRequirements.check(Self.snp, host: Self.host { $0.hasSEVSNP = true }) == [])
    }

    @Test func nonConfidentialConfigurationsNeedNoTechnology() {
        #expect(ConfidentialTechnology.required(by: HypervisorConfiguration(), on: Self.host { $0.hasTDX = true }) == nil)
        // sev_snp_guest without confidential_guest means nothing, as in Kata.
        let c = Self.configuration { $0.sevSnpGuest = true }
        #expect(HostRequirements.check(c, host: Self.host()) == [])
    }

    @Test func qemuObjectTypes() {
        #expect(ConfidentialTechnology.allCases.map(\.qemuObjectType) == ["tdx-guest", "sev-snp-guest", "sev-guest"])
    }

    @Test func tcgWhileKVMIsUsableIsAWarningNotAProblem() {
        let tcg = Self.configuration { $0.accelerator = .tcg }
        #expect(HostRequirements.check(tcg, host: Self.host()) == [])
        #expect(HostRequirements.warnings(tcg, host: Self.host()).map(\.message) == [
            #"KVM is usable on this host but accelerator = "tcg" emulates every instruction: set accelerator = "kvm" in [hypervisor.qemu] unless emulation is intended"#,
        ])
        #expect(HostRequirements.warnings(tcg, host: Self.host { $0.kvm = .unusable(reason: "kvm_pvm") }) == [])
        #expect(HostRequirements.warnings(KataConfiguration(), host: Self.host()) == [])
    }

    @Test func disabledVhostNetOnAHostWithItIsAWarning() {
        let c = Self.configuration { $0.disableVhostNet = true }
        #expect(HostRequirements.warnings(c, host: Self.host()).map(\.requirement) == ["/dev/vhost-net"])
        #expect(HostRequirements.warnings(c, host: Self.host { $0.hasVhostNet = false }) == [])
    }

    @Test func cpuFlagsFromCpuinfo() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme vmx sse hypervisor\n\nprocessor\t: 1\nflags\t\t: fpu\n"
        let flags = HostFacts.cpuFlags(cpuinfo: text)
        #expect(flags == ["fpu", "vme", "vmx", "sse", "hypervisor"])
        #expect(HostFacts.cpuVirtualization(flags: flags) == .vmx)
        #expect(HostFacts.cpuVirtualization(flags: ["svm"]) == .svm)
        #expect(HostFacts.cpuVirtualization(flags: ["fpu", "hypervisor"]) == HostFacts.CPUVirtualization.none)
        #expect(HostFacts.cpuVirtualization(flags: nil) == .unknown)
        #expect(HostFacts.cpuFlags(cpuinfo: nil) == nil)
        #expect(HostFacts.cpuFlags(cpuinfo: "processor : 0\n") == nil)
    }

    @Test func moduleParameters() {
        #expect(HostFacts.isEnabled(parameter: "Y\n"))
        #expect(HostFacts.isEnabled(parameter: "1\n"))
        #expect(!HostFacts.isEnabled(parameter: "N\n"))
        #expect(!HostFacts.isEnabled(parameter: "0\n"))
        #expect(!HostFacts.isEnabled(parameter: nil))
    }

    @Test func probeAgreesWithTheFilesystem() {
        let facts = HostFacts.probe()
        #expect(facts.hasVhostNet == (access("/dev/vhost-net", F_OK) == 0))
        #expect(facts.hasVhostVsock == (access("/dev/vhost-vsock", F_OK) == 0))
        if access("/sys/module/kvm_intel/parameters/tdx", F_OK) != 0 { #expect(!facts.hasTDX) }
        if access("/sys/module/kvm_amd/parameters/sev_snp", F_OK) != 0 { #expect(!facts.hasSEVSNP) }
        // Every x86 /proc/cpuinfo has a flags line.
        #expect(facts.cpuVirtualization != .unknown)
    }
}

extension HostRequirementsDevicesAndConfidentialTests {
    @Test func withoutUsableKVMTheKVMProblemSpeaksForTheTechnology() {
        for kvm in [HostFacts.KVM.absent, .unusable(reason: "kvm_pvm")] {
            let problems = HostRequirements.check(Self.tdx, host: Self.host { $0.kvm = kvm })
            #expect(problems.map(\.requirement) == ["/dev/kvm"])
            #expect(problems.first?.message.contains("a confidential guest needs KVM with TDX or SEV-SNP") == true)
        }
    }
}
