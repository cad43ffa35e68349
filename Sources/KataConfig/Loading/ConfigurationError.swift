/// Why a configuration could not be loaded: the message names the file, the
/// TOML key (`hypervisor.qemu.default_memory`), what was found and what to
/// change, e.g.
/// `configuration-qemu.toml: hypervisor.qemu.default_memory: found string "lots", expected an integer (MiB)`.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
