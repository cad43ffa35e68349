/// The rootfs mount of a container's snapshot under guest pull.
///
/// One mount carrying `io.katacontainers.volume=` with the volume, which is
/// all Kata's shim reads (it never mounts such a rootfs). containerd itself
/// mounts the snapshot for a moment when CRI creates a container (to read
/// `/etc/group` and the image's volumes), and has no helper for nydus's
/// `fuse.nydus-overlayfs`; so the mount is a read-only bind of an empty
/// directory, which any host can mount (the kernel ignores a bind's data
/// options, our volume among them). Nothing of the image is on the host.
public enum ContainerVolume {
    public static let mountType = "bind"

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

    /// - Parameter emptyDirectory: the empty directory the bind shows the host.
    public static func mount(for volume: KataVirtualVolume, option: String, emptyDirectory: String) -> SnapshotMount {
        SnapshotMount(type: mountType, source: emptyDirectory, options: ["ro", "rbind", option])
    }
}
