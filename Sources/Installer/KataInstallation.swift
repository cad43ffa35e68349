/// Kata's layout on a node (`/opt/kata/...`).
public struct KataInstallation: Sendable {
    public var root: String
    public init(root: String) { self.root = root }
}
