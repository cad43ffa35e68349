/// A transport-level failure of `HTTPClient`, before any status line means
/// anything; the registry client turns it into an `ImagePullError`.
struct HTTPFailure: Error, CustomStringConvertible {
    enum Kind {
        /// No connection (refused, unreachable, connect timeout).
        case unreachable
        /// The peer stopped answering or closed early.
        case interrupted
        /// Not HTTP/1.x as this client reads it.
        case malformed
        /// The body sink refused the data (a local write failed).
        case sink
    }

    var kind: Kind
    var description: String
}
