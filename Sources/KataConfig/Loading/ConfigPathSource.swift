/// How the configuration file was chosen, for messages and for `kata-runtime env`.
public enum ConfigPathSource: Sendable, Equatable, CustomStringConvertible {
    /// `ConfigPath` of containerd's runtime options (`runtimeoptions.v1.Options`).
    case runtimeOptions
    /// The `KATA_CONF_FILE` environment variable.
    case environment
    /// The first existing file of the default search path.
    case defaultSearch

    public var description: String {
        switch self {
        case .runtimeOptions: return "ConfigPath from the runtime options"
        case .environment: return "KATA_CONF_FILE"
        case .defaultSearch: return "default search path"
        }
    }
}
