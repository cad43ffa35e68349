/// How the guest's root filesystem reaches it, which decides the `root=`
/// parameters of the kernel command line.
public enum GuestRootfs: Sendable, Equatable {
    /// The image on an nvdimm with DAX: `root=/dev/pmem0p1`.
    case nvdimm
    /// The image on virtio-blk: `root=/dev/vda1`.
    case virtioBlk
    /// An initramfs: no `root=` at all.
    case initrd

    /// Kata's choice: an initrd when set; else the image on nvdimm, unless
    /// `disable_image_nvdimm` or a confidential guest (no nvdimm there) asks
    /// for virtio-blk.
    public init(hypervisor: HypervisorConfiguration) {
        if hypervisor.initrd != nil {
            self = .initrd
        } else if hypervisor.disableImageNvdimm || hypervisor.confidentialGuest {
            self = .virtioBlk
        } else {
            self = .nvdimm
        }
    }
}
