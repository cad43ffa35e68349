/// The rootfs mount of a container's snapshot under guest pull.
///
/// One mount, as nydus-snapshotter's proxy mode makes it: type
/// `fuse.nydus-overlayfs` (Kata's shim never mounts that type on the host)
/// and, as its only option, `io.katacontainers.volume=` with the volume.
/// No `lowerdir=`-style options: Kata reads only the type and that option,
/// and there is no directory on the host they could name.
public enum ContainerVolume {
    public static let mountType = "fuse.nydus-overlayfs"
    public static let mountSource = "overlay"

    /// The guest-pull volume of a container snapshot: the labels of its top
    /// layer (CRI's image-ref, layer and manifest digests) overlaid with the
    /// snapshot's own; the image reference is CRI's image-ref, or empty.
    /// The chain-id label is the host's bookkeeping, not the image's, and
    /// is left out.
    public static func volume(layerLabels: [String: String], snapshotLabels: [String: String]) -> KataVirtualVolume {
        var metadata = layerLabels.merging(snapshotLabels) { _, own in own }
        metadata[SnapshotLabels.reference] = nil
        return .guestPull(source: metadata[SnapshotLabels.imageReference] ?? "", metadata: metadata)
    }

    public static func mount(for volume: KataVirtualVolume, option: String) -> SnapshotMount {
        SnapshotMount(type: mountType, source: mountSource, options: [option])
    }
}
