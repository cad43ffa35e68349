/// Checks a configuration against the host before a VM is started, so that
/// a host without KVM or vhost-vsock fails with a sentence that names the
/// setting to change, instead of a QEMU error (and never falls back silently).
public enum HostRequirements {
    /// The problems, empty when the host can run the configuration.
    public static func check(_ config: KataConfiguration, host: HostFacts) -> [HostProblem] {
        var problems: [HostProblem] = []
        let hypervisor = config.hypervisor
        if hypervisor.accelerator == .kvm {
            let alternative = hypervisor.confidentialGuest
                ? "a confidential guest needs KVM with TDX or SEV-SNP; on a development host use configuration-qemu-coco-dev.toml with accelerator = \"tcg\" in [hypervisor.qemu]"
                : "or set accelerator = \"tcg\" in [hypervisor.qemu] (emulation, for development hosts)"
            switch host.kvm {
            case .absent:
                problems.append(HostProblem(
                    requirement: "/dev/kvm",
                    message: "/dev/kvm is missing: load kvm_intel or kvm_amd, "
                        + (hypervisor.confidentialGuest ? "and note that " : "") + alternative))
            case .unusable(let reason):
                problems.append(HostProblem(
                    requirement: "/dev/kvm",
                    message: "/dev/kvm cannot run the guest (\(reason)): "
                        + (hypervisor.confidentialGuest ? alternative : "set accelerator = \"tcg\" in [hypervisor.qemu] (emulation, for development hosts)")))
            case .usable:
                break
            }
        }
        if hypervisor.agentChannel == .vsock && !host.hasVhostVsock {
            problems.append(HostProblem(
                requirement: "/dev/vhost-vsock",
                message: "/dev/vhost-vsock is missing: load vhost_vsock, or set agent_channel = \"virtio-serial\" in [hypervisor.qemu]"))
        }
        return problems
    }
}
