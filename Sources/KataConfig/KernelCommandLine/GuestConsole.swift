/// The guest console, which decides `console=`.
public enum GuestConsole: Sendable, Equatable {
    /// virtio consoles: `console=hvc0 console=hvc1`.
    case virtio
    /// `use_legacy_serial = true`: `console=ttyS0`.
    case legacySerial

    public init(hypervisor: HypervisorConfiguration) {
        self = hypervisor.useLegacySerial ? .legacySerial : .virtio
    }
}
