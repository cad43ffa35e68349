import KataConfig

/// Checks a configuration against the QEMU binary it names: the binary must
/// run, and a confidential configuration needs QEMU's object for its
/// technology (Debian's QEMU 7.2 knows `sev-guest` only).
public enum QEMURequirements {
    public static func check(_ config: KataConfiguration, host: HostFacts,
                             qemu: Result<QEMUFacts, QEMUProbeError>) -> [HostProblem] {
        let facts: QEMUFacts
        switch qemu {
        case .failure(let error):
            return [HostProblem(
                requirement: "hypervisor.qemu.path",
                message: "hypervisor.qemu.path: the QEMU binary \(error): install QEMU (Debian: qemu-system-x86) or Kata's QEMU, or set path in [hypervisor.qemu] to the binary")]
        case .success(let found):
            facts = found
        }
        guard let technology = ConfidentialTechnology.required(by: config.hypervisor, on: host),
              !facts.objectTypes.contains(technology.qemuObjectType)
        else { return [] }
        let known = facts.confidentialTechnologies.map(\.qemuObjectType)
        return [HostProblem(
            requirement: technology.qemuObjectType,
            message: "\(facts.path) (QEMU \(facts.version.isEmpty ? facts.versionLine : facts.version)) has no \(technology.qemuObjectType) object, which a \(technology.rawValue) guest needs"
                + " (it knows \(known.isEmpty ? "no confidential object" : known.joined(separator: ", "))):"
                + " install QEMU \(minimumUpstreamVersion(technology)) or later, or Kata's QEMU, and set path in [hypervisor.qemu] to it")]
    }

    /// The first upstream QEMU release with the technology's object.
    static func minimumUpstreamVersion(_ technology: ConfidentialTechnology) -> String {
        switch technology {
        case .tdx: return "10.1"
        case .sevSNP: return "9.1"
        case .sev: return "2.12"
        }
    }
}
