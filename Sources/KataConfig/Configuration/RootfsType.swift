/// `rootfs_type`: the filesystem of the guest image, which decides the
/// `rootflags=` of the kernel command line.
public enum RootfsType: String, Sendable, Equatable, CaseIterable {
    case ext4
    case xfs
    case erofs
}
