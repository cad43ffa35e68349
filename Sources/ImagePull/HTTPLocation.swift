/// Where a request goes: `http://host:port/path?query`. Only plain HTTP: the
/// registries this serves are on the pod's own network.
struct HTTPLocation: Equatable, CustomStringConvertible {
    var host: String
    var port: UInt16
    /// The path with its query, starting with `/`.
    var target: String

    var description: String { "http://\(authority)\(target)" }

    /// `host:port` as the Host header spells it (IPv6 in brackets).
    var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return "\(name):\(port)"
    }

    init(host: String, port: UInt16, target: String) {
        self.host = host
        self.port = port
        self.target = target
    }

    /// Resolves a `Location` header against this location: an absolute
    /// `http://` URL, an absolute path, or a path relative to this one.
    func resolving(_ location: String) throws(HTTPFailure) -> HTTPLocation {
        if location.hasPrefix("https://") {
            throw HTTPFailure(kind: .malformed, description: "redirect to \(location): HTTPS is not supported yet")
        }
        if location.hasPrefix("http://") {
            let rest = location.dropFirst(7)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let authority = rest[..<slash]
            let target = slash == rest.endIndex ? "/" : String(rest[slash...])
            var host = String(authority)
            var port: UInt16 = 80
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                if after.hasPrefix(":"), let value = UInt16(after.dropFirst()) { port = value }
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                guard let value = UInt16(authority[authority.index(after: colon)...]) else {
                    throw HTTPFailure(kind: .malformed, description: "redirect to \(location): bad port")
                }
                port = value
            }
            return HTTPLocation(host: host, port: port, target: target)
        }
        if location.hasPrefix("/") { return HTTPLocation(host: host, port: port, target: location) }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let directory = path.lastIndex(of: "/").map { path[...$0] } ?? "/"
        return HTTPLocation(host: host, port: port, target: directory + location)
    }
}
