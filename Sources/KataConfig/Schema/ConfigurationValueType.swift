/// The TOML type a configuration key takes.
public enum ConfigurationValueType: String, Sendable, Equatable, CaseIterable {
    case string
    case boolean
    /// A non-negative integer.
    case unsignedInteger
    /// An integer or a float.
    case number
    case stringArray
}
