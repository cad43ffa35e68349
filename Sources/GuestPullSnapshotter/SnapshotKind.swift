/// What a snapshot is in containerd's model: a read-only view, a writable
/// active snapshot, or a committed (immutable, parent-able) one.
public enum SnapshotKind: String, Codable, Sendable, Equatable {
    case view
    case active
    case committed
}
