/// An image on a registry: `198.18.7.1:5000/library/busybox:1.36` or
/// `host:port/name@sha256:<hex>`. The registry host is required (there is no
/// default registry in the guest); the tag defaults to `latest`.
public struct ImageReference: Sendable, Equatable, CustomStringConvertible {
    /// `host` or `host:port` as written.
    public var registry: String
    /// The repository path, e.g. `library/busybox`.
    public var repository: String
    /// The tag, when the reference names one (`latest` when it names neither tag nor digest).
    public var tag: String?
    /// `sha256:<hex>` when pinned by digest.
    public var digest: String?

    /// The registry's host name or address, without port or brackets.
    public var host: String {
        if registry.hasPrefix("["), let close = registry.firstIndex(of: "]") {
            return String(registry[registry.index(after: registry.startIndex)..<close])
        }
        if let colon = registry.lastIndex(of: ":") { return String(registry[..<colon]) }
        return registry
    }

    /// The registry's TCP port (80 when not given: plain HTTP).
    public var port: UInt16 {
        let afterHost = registry.hasPrefix("[") ? registry.split(separator: "]", maxSplits: 1).dropFirst().first.map(String.init) ?? "" : registry
        if let colon = afterHost.lastIndex(of: ":"), let port = UInt16(afterHost[afterHost.index(after: colon)...]) {
            return port
        }
        return 80
    }

    /// What `/v2/<name>/manifests/<reference>` takes: the digest if pinned, else the tag.
    public var manifestReference: String { digest ?? tag ?? "latest" }

    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// Parses `reference`; an error names it and what is wrong.
    public init(parsing reference: String) throws(ImagePullError) {
        func invalid(_ why: String) -> ImagePullError {
            ImagePullError(.invalidReference, "image reference \"\(reference)\": \(why)")
        }
        var rest = Substring(reference)
        guard let slash = rest.firstIndex(of: "/") else {
            throw invalid("no registry host; write it in full, e.g. 198.18.7.1:5000/\(reference)")
        }
        let registry = String(rest[..<slash])
        // The first component is a registry only if it looks like one (as
        // Docker decides): a port, a dot, or localhost.
        guard registry.contains(":") || registry.contains(".") || registry == "localhost" || registry.hasPrefix("[") else {
            throw invalid("no registry host (\"\(registry)\" is a repository component); write it in full, e.g. 198.18.7.1:5000/\(reference)")
        }
        rest = rest[rest.index(after: slash)...]
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        let repository = String(rest)
        guard !repository.isEmpty else { throw invalid("no repository name after the registry") }
        for component in repository.split(separator: "/", omittingEmptySubsequences: false) {
            guard !component.isEmpty, component.utf8.allSatisfy({ Self.repositoryCharacters.contains($0) }),
                  component.first != "." && component.first != "-" && component.first != "_" else {
                throw invalid("repository \"\(repository)\" must be lower-case letters, digits and . _ - separated by /")
            }
        }
        if let tag {
            guard !tag.isEmpty, tag.utf8.count <= 128, tag.first != ".", tag.first != "-",
                  tag.utf8.allSatisfy({ Self.tagCharacters.contains($0) }) else {
                throw invalid("tag \"\(tag)\" must be up to 128 letters, digits, . _ -")
            }
        }
        if let digest {
            guard (try? Digest(parsing: digest)) != nil else {
                throw invalid("digest \"\(digest)\" must be sha256: followed by 64 lower-case hex digits")
            }
        }
        guard ImageReference.hostIsNumericOrLocal(registry) else {
            throw invalid("registry \"\(registry)\" must be a numeric address (name resolution is not available in the guest)")
        }
        self.registry = registry
        self.repository = repository
        self.tag = (tag == nil && digest == nil) ? "latest" : tag
        self.digest = digest
    }

    private static let repositoryCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789._-".utf8)
    private static let tagCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".utf8)

    private static func hostIsNumericOrLocal(_ registry: String) -> Bool {
        let probe = ImageReference(uncheckedRegistry: registry)
        return probe.host == "localhost" || SocketAddress(numericHost: probe.host, port: probe.port) != nil
    }

    private init(uncheckedRegistry: String) {
        registry = uncheckedRegistry
        repository = ""
    }
}
