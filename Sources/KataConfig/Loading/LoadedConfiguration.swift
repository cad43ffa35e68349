/// A configuration with where it came from and what was ignored on the way.
public struct LoadedConfiguration: Sendable, Equatable {
    public var configuration: KataConfiguration
    /// The main file, symlinks resolved (its directory holds `config.d/`).
    public var path: String
    /// The main file as messages name it: the base name of the path that was
    /// chosen (before resolving symlinks).
    public var name: String
    /// How `path` was chosen.
    public var source: ConfigPathSource
    /// The drop-ins applied, in order (full paths).
    public var dropIns: [String]
    /// Unknown keys and replaced values, in file order.
    public var warnings: [ConfigurationWarning]
    /// The file that set each key, by TOML key path (`hypervisor.qemu.kernel`),
    /// as messages name it; keys left at their default are absent.
    public var origins: [String: String]

    /// The file that set `keyPath`, or the main file when the key kept its default.
    public func origin(of keyPath: String) -> String {
        origins[keyPath] ?? name
    }
}
