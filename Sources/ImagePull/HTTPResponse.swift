/// A response's status and headers; the body went to the caller's sink
/// (success) or is kept here, bounded, to explain an error.
struct HTTPResponse {
    var status: Int
    var reason: String
    /// Header names in lower case.
    var headers: [(name: String, value: String)]
    /// The start of an error response's body (not the body of a success).
    var errorBody: [UInt8] = []
    /// Where the final response came from, after redirects.
    var location: HTTPLocation

    var isSuccess: Bool { (200..<300).contains(status) }

    func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }

    /// `404 Not Found`.
    var statusLine: String { reason.isEmpty ? "\(status)" : "\(status) \(reason)" }
}
