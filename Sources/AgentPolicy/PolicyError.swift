/// Why a policy document was rejected, with the 1-based line it was found on.
/// Every construct outside the supported subset of Rego is reported this
/// way; none is ever skipped.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line of the policy text.
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// `policy line <line>: <message>`
    public var description: String { "policy line \(line): \(message)" }

    static func unsupported(_ construct: String, _ reason: String, line: Int) -> PolicyError {
        PolicyError(line: line, message: "unsupported construct \"\(construct)\": \(reason)")
    }
}
