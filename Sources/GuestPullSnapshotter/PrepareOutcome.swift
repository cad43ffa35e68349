/// What a Prepare or View did.
public enum PrepareOutcome: Sendable, Equatable {
    /// A container snapshot was made: its mounts.
    case mounts([SnapshotMount])
    /// A layer was recorded as committed under its chain id without any
    /// content; containerd is to hear AlreadyExists, so that it neither
    /// fetches nor unpacks the layer.
    case layerRecorded(chainID: String)
}
