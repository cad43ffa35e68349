/// Something the configuration asks for that the host lacks, with the
/// setting that selects the alternative.
public struct HostProblem: Sendable, Equatable, CustomStringConvertible {
    /// What is missing: `/dev/kvm`, `/dev/vhost-vsock`.
    public var requirement: String
    /// The whole sentence: what is missing, and what to change.
    public var message: String

    public init(requirement: String, message: String) {
        self.requirement = requirement
        self.message = message
    }

    public var description: String { message }
}
