/// Why a pod's annotations were refused. The message names the annotation
/// and says what to change; sandbox creation fails with it, as in Kata
/// (nothing is silently ignored).
public struct AnnotationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The full annotation key.
    public var annotation: String
    public var message: String

    public init(annotation: String, message: String) {
        self.annotation = annotation
        self.message = message
    }

    public var description: String { message }
}
