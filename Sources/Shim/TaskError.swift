import TTRPC

/// Task API errors with containerd's classes and wording
/// (`<what>: not found`, `<what>: failed precondition`, ...).
enum TaskError {
    static func notFound(_ what: String) -> RPCError { RPCError(.notFound, what) }
    static func alreadyExists(_ what: String) -> RPCError { RPCError(.alreadyExists, what) }
    static func failedPrecondition(_ what: String) -> RPCError { RPCError(.failedPrecondition, what) }
    static func invalidArgument(_ what: String) -> RPCError { RPCError(.invalidArgument, what) }
    static func unimplemented(_ what: String) -> RPCError { RPCError(.notImplemented, what) }
}
