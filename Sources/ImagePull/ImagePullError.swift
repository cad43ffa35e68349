/// Why a pull failed. `description` names the image (or the registry) and
/// what went wrong, with the registry's own answer where there is one:
/// `pull 198.18.7.1:5000/nope:1: manifest: 404 Not Found (MANIFEST_UNKNOWN ...)`.
public struct ImagePullError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure, for callers that react differently (retry on `.unreachable`).
    public enum Kind: Sendable, Equatable {
        /// The reference string cannot name an image.
        case invalidReference
        /// No TCP connection to the registry, or it stopped answering.
        case unreachable
        /// The registry answered with an error status.
        case status(Int)
        /// The registry wants credentials, which are not supported yet.
        case authenticationRequired
        /// A manifest or blob's content differs from its digest.
        case digestMismatch
        /// A manifest or layer kind this puller does not handle.
        case unsupported
        /// No entry of an index for the platform.
        case platformNotFound
        /// A malformed answer: bad HTTP, JSON, gzip or tar.
        case malformed
        /// A layer entry that would write outside the root.
        case unsafePath
        /// A local file operation failed.
        case localFile
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
