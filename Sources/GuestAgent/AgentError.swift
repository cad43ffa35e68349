import TTRPC

/// An error the agent answers with: a gRPC code and a message that says what
/// failed and why.
public struct AgentError: Error, ClassifiedError, CustomStringConvertible, Sendable {
    public var errorClass: ErrorClass
    public var message: String

    public init(_ errorClass: ErrorClass, _ message: String) {
        self.errorClass = errorClass
        self.message = message
    }

    public var statusMessage: String { message }
    public var description: String { message }

    static func invalid(_ message: String) -> AgentError { AgentError(.invalidArgument, message) }
    static func notFound(_ message: String) -> AgentError { AgentError(.notFound, message) }
    static func failed(_ message: String) -> AgentError { AgentError(.internal, message) }
}
