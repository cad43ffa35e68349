/// The confidential-computing technology a confidential guest runs with, and
/// the QEMU object that provides it.
public enum ConfidentialTechnology: String, Sendable, Equatable, CaseIterable {
    case tdx = "TDX"
    case sevSNP = "SEV-SNP"
    /// Plain SEV: what Kata runs on an AMD host for a confidential guest
    /// without `sev_snp_guest = true`.
    case sev = "SEV"

    /// The `-object` type QEMU needs (`-object help` lists the ones it knows).
    public var qemuObjectType: String {
        switch self {
        case .tdx: return "tdx-guest"
        case .sevSNP: return "sev-snp-guest"
        case .sev: return "sev-guest"
        }
    }

    /// The host's kernel module parameter that enables it.
    public var hostParameter: String {
        switch self {
        case .tdx: return "/sys/module/kvm_intel/parameters/tdx"
        case .sevSNP: return "/sys/module/kvm_amd/parameters/sev_snp"
        case .sev: return "/sys/module/kvm_amd/parameters/sev"
        }
    }

    /// What `hypervisor` asks of `host`; nil unless `confidential_guest = true`.
    ///
    /// Kata decides from the host (TDX, else SEV-SNP, else SEV), so the files
    /// differ only in `sev_snp_guest`: with it the configuration is an SEV-SNP
    /// one (`configuration-qemu-snp.toml`); without it, a TDX one
    /// (`configuration-qemu-tdx.toml`) that an AMD host runs as plain SEV.
    public static func required(by hypervisor: HypervisorConfiguration, on host: HostFacts) -> ConfidentialTechnology? {
        guard hypervisor.confidentialGuest else { return nil }
        if hypervisor.sevSnpGuest { return .sevSNP }
        if host.hasTDX { return .tdx }
        if host.hasSEVSNP || host.hasSEV { return .sev }
        return .tdx
    }

    /// Whether `host` offers it.
    public func isOffered(by host: HostFacts) -> Bool {
        switch self {
        case .tdx: return host.hasTDX
        case .sevSNP: return host.hasSEVSNP
        // An SEV-SNP host runs plain SEV guests too.
        case .sev: return host.hasSEV || host.hasSEVSNP
        }
    }
}
