/// An error with a gRPC status code: what a ttrpc handler throws to answer with a
/// status, and what a ttrpc client throws when the peer answers with one.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: RPCStatusCode
    public var message: String

    public init(code: RPCStatusCode, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// containerd's error classes (`github.com/containerd/errdefs`), which travel as
/// gRPC codes. Handlers throw these; the ttrpc edge maps them to codes the way
/// `errdefs.ToGRPC` does, and a client maps codes back the way `errdefs.FromGRPC` does.
public enum ErrorClass: Sendable, Equatable, CaseIterable {
    case unknown
    case invalidArgument
    case notFound
    case alreadyExists
    case failedPrecondition
    case unavailable
    case notImplemented
    case canceled
    case deadlineExceeded
    case permissionDenied
    case resourceExhausted
    case aborted
    case outOfRange
    case dataLoss
    case unauthenticated
    case `internal`

    /// The gRPC code containerd's `errdefs.ToGRPC` uses for this class.
    public var statusCode: RPCStatusCode {
        switch self {
        case .unknown: .unknown
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .failedPrecondition: .failedPrecondition
        case .unavailable: .unavailable
        case .notImplemented: .unimplemented
        case .canceled: .canceled
        case .deadlineExceeded: .deadlineExceeded
        case .permissionDenied: .permissionDenied
        case .resourceExhausted: .resourceExhausted
        case .aborted: .aborted
        case .outOfRange: .outOfRange
        case .dataLoss: .dataLoss
        case .unauthenticated: .unauthenticated
        case .internal: .internal
        }
    }

    /// The class `errdefs.FromGRPC` gives a code.
    public init(statusCode: RPCStatusCode) {
        self = ErrorClass.allCases.first { $0.statusCode == statusCode } ?? .unknown
    }

    /// The suffix containerd's errdefs put on messages of this class (`"...: not found"`).
    public var suffix: String {
        switch self {
        case .unknown: "unknown"
        case .invalidArgument: "invalid argument"
        case .notFound: "not found"
        case .alreadyExists: "already exists"
        case .failedPrecondition: "failed precondition"
        case .unavailable: "unavailable"
        case .notImplemented: "not implemented"
        case .canceled: "context canceled"
        case .deadlineExceeded: "context deadline exceeded"
        case .permissionDenied: "permission denied"
        case .resourceExhausted: "resource exhausted"
        case .aborted: "aborted"
        case .outOfRange: "out of range"
        case .dataLoss: "data loss"
        case .unauthenticated: "unauthenticated"
        case .internal: "internal"
        }
    }
}

/// An error that knows its containerd error class. Domain errors conform, so that
/// the ttrpc server can answer with the right code without knowing the domain.
public protocol ClassifiedError: Error {
    var errorClass: ErrorClass { get }
    /// The message sent to the peer.
    var statusMessage: String { get }
}

extension RPCError {
    /// An error of `errorClass` whose message ends the way containerd's do:
    /// `RPCError(.notFound, "container abc")` (an ``ErrorClass``) → `NotFound: "container abc: not found"`.
    public init(_ errorClass: ErrorClass, _ what: String) {
        self.init(code: errorClass.statusCode, message: what.isEmpty ? errorClass.suffix : "\(what): \(errorClass.suffix)")
    }

    /// The containerd error class of this status.
    public var errorClass: ErrorClass { ErrorClass(statusCode: code) }

    /// The status a server answers for any thrown error.
    public init(answering error: any Error) {
        switch error {
        case let rpc as RPCError:
            self = rpc
        case let classified as any ClassifiedError:
            self.init(code: classified.errorClass.statusCode, message: classified.statusMessage)
        case is CancellationError:
            self.init(code: .canceled, message: ErrorClass.canceled.suffix)
        default:
            self.init(code: .unknown, message: String(describing: error))
        }
    }
}
