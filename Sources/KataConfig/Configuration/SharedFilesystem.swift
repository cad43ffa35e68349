/// `shared_fs`: how host directories reach the guest.
public enum SharedFilesystem: String, Sendable, Equatable, CaseIterable {
    /// vhost-user-fs with a virtiofsd per sandbox (Kata's default).
    case virtioFS = "virtio-fs"
    /// 9p over virtio.
    case virtio9P = "virtio-9p"
    /// No share at all (Confidential Containers): files are copied with the
    /// agent's `CopyFile` and the rootfs comes from guest pull.
    case none = "none"
}
