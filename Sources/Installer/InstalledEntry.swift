/// A file or symlink an installation put in place (path as the host sees it).
public struct InstalledEntry: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case file, symlink
    }

    public var kind: Kind
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }
}
