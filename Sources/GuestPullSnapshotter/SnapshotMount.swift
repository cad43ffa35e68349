/// A mount as containerd's `types.Mount` carries it (the target is always empty here).
public struct SnapshotMount: Sendable, Equatable {
    public var type: String
    public var source: String
    public var options: [String]

    public init(type: String, source: String, options: [String]) {
        self.type = type
        self.source = source
        self.options = options
    }
}
