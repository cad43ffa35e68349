import KataConfig
/// A JSON value whose objects keep their keys in insertion order, so that
/// `kata-runtime env --json` prints sections and keys in a stable, readable
/// order (Foundation's serializer would sort or shuffle them).
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case array([JSONValue])
    case object([(String, JSONValue)])
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.rendered() == rhs.rendered()
    }

    /// Compact JSON, or indented by two spaces per level.
    public func rendered(indented: Bool = false) -> String {
        var out = ""
        write(to: &out, indented: indented, depth: 0)
        return out
    }

    /// The value as a TOML right-hand side (objects inline), for the text form
    /// of `env`; TOML has no null, so callers leave null values out.
    public var tomlText: String {
        switch self {
        case .array(let items): return "[" + items.map(\.tomlText).joined(separator: ", ") + "]"
        case .object(let fields):
            return "{ " + fields.map { "\(Self.quoted($0.0)) = \($0.1.tomlText)" }.joined(separator: ", ") + " }"
        case .null: return "\"\""
        default: return rendered()
        }
    }

    private func write(to out: inout String, indented: Bool, depth: Int) {
        switch self {
        case .string(let text): out += Self.quoted(text)
        case .bool(let value): out += value ? "true" : "false"
        case .integer(let value): out += String(value)
        case .unsigned(let value): out += String(value)
        case .number(let value): out += Self.number(value)
        case .null: out += "null"
        case .array(let items):
            writeContainer(items.map { (nil, $0) }, open: "[", close: "]", to: &out, indented: indented, depth: depth)
        case .object(let fields):
            writeContainer(fields.map { ($0.0, $0.1) }, open: "{", close: "}", to: &out, indented: indented, depth: depth)
        }
    }

    private func writeContainer(_ members: [(String?, JSONValue)], open: String, close: String,
                                to out: inout String, indented: Bool, depth: Int) {
        out += open
        guard !members.isEmpty else { out += close; return }
        let inner = String(repeating: "  ", count: depth + 1)
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { out += "," }
            if indented { out += "\n" + inner }
            if let key { out += Self.quoted(key) + (indented ? ": " : ":") }
            value.write(to: &out, indented: indented, depth: depth + 1)
        }
        if indented { out += "\n" + String(repeating: "  ", count: depth) }
        out += close
    }

    /// Integral values without a fraction (`1`, not `1.0`); JSON has no NaN
    /// or infinity, so those become null.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A JSON string literal (also a valid TOML basic string).
    static func quoted(_ text: String) -> String { quotedBasicString(text) }
}
