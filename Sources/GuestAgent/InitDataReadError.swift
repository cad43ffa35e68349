/// Why the agent cannot use the initdata disk; the message names the disk,
/// the step that failed and what the host must fix. The agent does not
/// serve with such a disk: the policy it carries is part of the pod's
/// measured identity.
public struct InitDataReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
