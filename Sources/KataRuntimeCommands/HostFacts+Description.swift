import KataConfig

extension HostFacts {
    /// `/dev/kvm`'s state as a phrase: `usable`, `missing`, `unusable (reason)`.
    var kvmDescription: String {
        switch kvm {
        case .absent: return "missing"
        case .usable: return "usable"
        case .unusable(let reason): return "present but unusable (\(reason))"
        }
    }

    var cpuVirtualizationDescription: String {
        switch cpuVirtualization {
        case .unknown: return "unknown (/proc/cpuinfo unreadable)"
        case .none: return "none (neither vmx nor svm)"
        case .vmx: return "vmx (Intel VT-x)"
        case .svm: return "svm (AMD-V)"
        }
    }

    /// The facts a configuration relies on, one phrase each; all of them when `everything`.
    func relevantFacts(for configuration: KataConfiguration, everything: Bool) -> [String] {
        let h = configuration.hypervisor
        var facts: [String] = []
        if everything || h.accelerator == .kvm {
            facts.append("/dev/kvm: \(kvmDescription)")
            facts.append("CPU virtualization: \(cpuVirtualizationDescription)")
        }
        if everything || nested {
            facts.append("nested: \(nested ? "yes, this host is itself a VM (hypervisor CPU flag)" : "no")")
        }
        if everything || h.agentChannel == .vsock {
            facts.append("/dev/vhost-vsock: \(hasVhostVsock ? "present" : "missing")")
        }
        if everything || !h.disableVhostNet {
            facts.append("/dev/vhost-net: \(hasVhostNet ? "present" : "missing")")
        }
        if everything || h.confidentialGuest {
            facts.append("TDX: \(hasTDX ? "yes" : "no") (\(ConfidentialTechnology.tdx.hostParameter))")
            facts.append("SEV-SNP: \(hasSEVSNP ? "yes" : "no") (\(ConfidentialTechnology.sevSNP.hostParameter))")
            facts.append("SEV: \(hasSEV ? "yes" : "no") (\(ConfidentialTechnology.sev.hostParameter))")
        }
        if everything {
            facts.append("CPUs: \(cpuCount), memory: \(memoryMiB) MiB")
        }
        return facts
    }
}
