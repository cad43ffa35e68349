/// Where the host's file system is mounted for this process: `/` on the node
/// itself, `/host` in the installer pod. Paths written into configuration
/// files are the host's own (`/opt/kata/...`); the files themselves are
/// written at `hostRoot + path`.
public struct HostRoot: Sendable, Equatable {
    /// Absolute, without a trailing slash except for `/` itself.
    public let path: String

    public init(_ path: String) throws(InstallerError) {
        guard path.hasPrefix("/") else {
            throw InstallerError("--host-root \(path): must be an absolute path (the directory where the host's / is mounted, e.g. /host)")
        }
        self.path = HostRoot.normalized(path)
    }

    /// The host's `/`.
    public static let slash = try! HostRoot("/")

    public var isHostItself: Bool { path == "/" }

    /// Where this process finds the host's `hostPath` (absolute, as the host sees it).
    public func resolve(_ hostPath: String) -> String {
        isHostItself ? hostPath : path + hostPath
    }

    /// `//a/./b/` → `/a/b`; `..` is kept as written (refused elsewhere where it matters).
    static func normalized(_ path: String) -> String {
        let components = path.split(separator: "/").filter { $0 != "." }
        return "/" + components.joined(separator: "/")
    }
}
