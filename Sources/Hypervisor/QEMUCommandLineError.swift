/// Why ``QEMUCommandLine`` cannot build a command line. The message names the
/// configuration key (`hypervisor.qemu.image`) or plan field at fault and says
/// what to change.
public struct QEMUCommandLineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Keys that contradict each other or hold a value QEMU cannot take.
        case invalidConfiguration
        /// A setting this runtime does not implement.
        case unsupported
        /// The host cannot run what the configuration asks for.
        case hostUnsupported
        /// The sandbox plan is incomplete or inconsistent with the configuration
        /// (a bug in the caller, not something an operator can fix).
        case invalidPlan
    }

    /// What kind of fault it is.
    public var code: Code
    /// The TOML key path (`hypervisor.qemu.confidential_guest`) or plan field at fault, when there is one.
    public var key: String?
    /// The whole sentence for a person: the key, what is wrong, what to change.
    public var message: String

    public init(_ code: Code, key: String?, _ message: String) {
        self.code = code
        self.key = key
        self.message = message
    }

    public var description: String { message }
}
