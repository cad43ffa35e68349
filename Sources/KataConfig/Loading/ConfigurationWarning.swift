/// Something in a configuration that was ignored or replaced, collected
/// rather than printed: an unknown key or section, or a value Kata's rules
/// replace (`default_memory = 128` becomes 2048).
public struct ConfigurationWarning: Sendable, Equatable, CustomStringConvertible {
    /// The file as messages name it: `configuration-qemu.toml`, `config.d/50-dev-host.toml`.
    public var file: String
    /// The TOML key or section, `hypervisor.qemu.foo`.
    public var key: String
    public var message: String

    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String { key.isEmpty ? "\(file): \(message)" : "\(file): \(key): \(message)" }
}
