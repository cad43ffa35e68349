/// A refused snapshot operation, with the gRPC status containerd maps back
/// to its errdefs (NotFound, AlreadyExists, FailedPrecondition,
/// InvalidArgument): containerd's metadata store acts on the kind, people
/// read the message.
public struct SnapshotterError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case notFound
        case alreadyExists
        case failedPrecondition
        case invalidArgument
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func notFound(_ key: String) -> SnapshotterError {
        SnapshotterError(.notFound, "snapshot \(key) does not exist")
    }
}
