/// `accelerator` in `[hypervisor.qemu]`, QEMU's `-machine accel=`.
///
/// This key is ours: Kata always uses KVM. TCG is for development hosts whose
/// KVM cannot boot a stock kernel (or that have none); it is never chosen
/// silently, and a confidential guest cannot use it.
public enum Accelerator: String, Sendable, Equatable, CaseIterable {
    case kvm
    /// QEMU's software emulation. There is no `-cpu host` with TCG: the QEMU
    /// command line uses `-cpu max` instead.
    case tcg
}
