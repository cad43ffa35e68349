import Files
import TTRPC

/// A file operation the agent could not do answers as an internal error,
/// with the call, the path and the system's reason as its message.
extension FileError: ClassifiedError {
    public var errorClass: ErrorClass { .internal }
    public var statusMessage: String { description }
}
