/// Something the configuration asks for that the host lacks, with the
/// setting that selects the alternative.
public struct HostProblem: Sendable, Equatable, CustomStringConvertible {
    /// What is missing: a device (`/dev/kvm`, `/dev/vhost-vsock`), a CPU
    /// feature, a KVM parameter, or the configuration key naming a missing
    /// file (`hypervisor.qemu.kernel`).
    public var requirement: String
    /// The whole sentence: what is missing, and what to change.
    public var message: String

    public init(requirement: String, message: String) {
        self.requirement = requirement
        self.message = message
    }

    public var description: String { message }
}
