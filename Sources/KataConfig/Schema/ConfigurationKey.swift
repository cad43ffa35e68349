/// One key that a configuration section may contain: its TOML name, type and
/// unit, and whether this runtime acts on it (`used`) or only checks it so
/// that Kata's files load unchanged.
public struct ConfigurationKey: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var type: ConfigurationValueType
    /// For numbers: `MiB`, `seconds`, ...
    public var unit: String?
    public var used: Bool

    public init(name: String, type: ConfigurationValueType, unit: String? = nil, used: Bool = true) {
        self.name = name
        self.type = type
        self.unit = unit
        self.used = used
    }

    /// What an error message says was expected: `an integer (MiB)`.
    public var expected: String {
        let base: String
        switch type {
        case .string: base = "a string"
        case .boolean: base = "a boolean (true or false)"
        case .unsignedInteger: base = "an integer"
        case .number: base = "a number"
        case .stringArray: base = "an array of strings"
        }
        return unit.map { "\(base) (\($0))" } ?? base
    }

    public var description: String {
        "\(name): \(type.rawValue)" + (unit.map { " (\($0))" } ?? "") + (used ? "" : ", not used")
    }
}
