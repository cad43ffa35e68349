/// The snapshot labels containerd and its CRI plugin set, and the ones this
/// snapshotter reads.
public enum SnapshotLabels {
    /// Set by containerd's unpacker on a layer's extraction snapshot: the
    /// chain id the layer is to be committed as. Its presence marks a layer.
    public static let reference = "containerd.io/snapshot.ref"
    /// CRI's image reference (`disable_snapshot_annotations = false`).
    public static let imageReference = "containerd.io/snapshot/cri.image-ref"
    /// CRI's compressed digest of the layer.
    public static let layerDigest = "containerd.io/snapshot/cri.layer-digest"
    /// CRI's manifest digest of the image.
    public static let manifestDigest = "containerd.io/snapshot/cri.manifest-digest"
    /// CRI's digests of all the image's layers (comma separated, possibly truncated).
    public static let imageLayers = "containerd.io/snapshot/cri.image-layers"
    /// Labels under this prefix are the ones containerd passes on to snapshotters.
    public static let inheritedPrefix = "containerd.io/snapshot/"
}
