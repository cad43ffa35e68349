/// One snapshot as containerd's `snapshots.Info` describes it.
public struct SnapshotRecord: Codable, Sendable, Equatable {
    /// The key containerd names it by (a layer's chain id for committed layers).
    public var name: String
    /// The committed snapshot it sits on; empty for a base layer.
    public var parent: String
    public var kind: SnapshotKind
    public var labels: [String: String]
    public var created: SnapshotTime
    public var updated: SnapshotTime

    public init(name: String, parent: String, kind: SnapshotKind, labels: [String: String],
                created: SnapshotTime, updated: SnapshotTime) {
        self.name = name
        self.parent = parent
        self.kind = kind
        self.labels = labels
        self.created = created
        self.updated = updated
    }
}
