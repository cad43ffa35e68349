/// Checks a configuration against the host before a VM is started, so that
/// a host without KVM or vhost-vsock fails with a sentence that names the
/// setting to change, instead of a QEMU error (and never falls back silently).
public enum HostRequirements {
    /// The problems, empty when the host can run the configuration.
    public static func check(_ config: KataConfiguration, host: HostFacts) -> [HostProblem] {
        var problems: [HostProblem] = []
        let hypervisor = config.hypervisor
        if hypervisor.accelerator == .kvm {
            problems += kvmProblems(hypervisor, host: host)
        }
        if hypervisor.agentChannel == .vsock && !host.hasVhostVsock {
            problems.append(HostProblem(
                requirement: "/dev/vhost-vsock",
                message: "/dev/vhost-vsock is missing: load vhost_vsock, or set agent_channel = \"virtio-serial\" in [hypervisor.qemu]"))
        }
        if !hypervisor.disableVhostNet && !host.hasVhostNet {
            problems.append(HostProblem(
                requirement: "/dev/vhost-net",
                message: "/dev/vhost-net is missing: load vhost_net (modprobe vhost_net), or set disable_vhost_net = true in [hypervisor.qemu] (virtio-net in QEMU's userspace, slower)"))
        }
        // Without usable KVM the KVM problem already says that a confidential
        // guest needs KVM with TDX or SEV-SNP.
        if host.kvm == .usable, let technology = ConfidentialTechnology.required(by: hypervisor, on: host),
           !technology.isOffered(by: host) {
            problems.append(confidentialProblem(technology))
        }
        return problems
    }

    /// What the host could do better but does not prevent: for `--strict`.
    public static func warnings(_ config: KataConfiguration, host: HostFacts) -> [HostProblem] {
        var warnings: [HostProblem] = []
        let hypervisor = config.hypervisor
        if hypervisor.accelerator == .tcg && host.kvm == .usable {
            warnings.append(HostProblem(
                requirement: "/dev/kvm",
                message: "KVM is usable on this host but accelerator = \"tcg\" emulates every instruction: set accelerator = \"kvm\" in [hypervisor.qemu] unless emulation is intended"))
        }
        if hypervisor.disableVhostNet && host.hasVhostNet {
            warnings.append(HostProblem(
                requirement: "/dev/vhost-net",
                message: "/dev/vhost-net exists but disable_vhost_net = true keeps virtio-net in QEMU's userspace: set disable_vhost_net = false in [hypervisor.qemu] for faster networking"))
        }
        return warnings
    }

    private static func kvmProblems(_ hypervisor: HypervisorConfiguration, host: HostFacts) -> [HostProblem] {
        let alternative = hypervisor.confidentialGuest
            ? "a confidential guest needs KVM with TDX or SEV-SNP; on a development host use configuration-qemu-coco-dev.toml with accelerator = \"tcg\" in [hypervisor.qemu]"
            : "or set accelerator = \"tcg\" in [hypervisor.qemu] (emulation, for development hosts)"
        switch host.kvm {
        case .absent:
            var problems = [HostProblem(
                requirement: "/dev/kvm",
                message: "/dev/kvm is missing: load kvm_intel or kvm_amd, "
                    + (hypervisor.confidentialGuest ? "and note that " : "") + alternative)]
            if host.cpuVirtualization == .none {
                // Loading the module cannot help: say why KVM is absent.
                problems.append(HostProblem(
                    requirement: "vmx or svm",
                    message: "the CPU offers neither vmx (Intel VT-x) nor svm (AMD-V) in /proc/cpuinfo: enable virtualization in the firmware"
                        + (host.nested ? ", or nested virtualization on the hypervisor this host runs on" : "")
                        + (hypervisor.confidentialGuest ? "" : ", or set accelerator = \"tcg\" in [hypervisor.qemu]")))
            }
            return problems
        case .unusable(let reason):
            return [HostProblem(
                requirement: "/dev/kvm",
                message: "/dev/kvm cannot run the guest (\(reason)): "
                    + (hypervisor.confidentialGuest ? alternative : "set accelerator = \"tcg\" in [hypervisor.qemu] (emulation, for development hosts)"))]
        case .usable:
            return []
        }
    }

    private static func confidentialProblem(_ technology: ConfidentialTechnology) -> HostProblem {
        let enable: String
        switch technology {
        case .tdx:
            enable = "enable TDX in the firmware and load kvm_intel with tdx=1 (a TDX host kernel)"
        case .sevSNP:
            enable = "enable SEV-SNP in the firmware and load kvm_amd with sev_snp=1 (an SEV-SNP host kernel)"
        case .sev:
            enable = "enable SEV in the firmware and load kvm_amd with sev=1"
        }
        let selector = technology == .sevSNP
            ? "this is an SEV-SNP configuration (sev_snp_guest = true)"
            : "this is a TDX configuration (confidential_guest = true without sev_snp_guest)"
        return HostProblem(
            requirement: technology.hostParameter,
            message: "\(selector) but the host's KVM offers no \(technology.rawValue) (\(technology.hostParameter) is not Y): "
                + "\(enable), or use a non-confidential configuration such as configuration-qemu-coco-dev.toml on this host")
    }
}
