import TOMLKit

/// A parsed TOML value, detached from TOMLKit so that drop-ins can be merged
/// and decoded as plain values. Dates and times are kept as their text: no
/// Kata key takes one, so they only ever appear in error messages.
enum TOMLNode: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case dateTime(String)
    case array([TOMLNode])
    /// Keys sorted, so that warnings come out in a stable order.
    case table([(key: String, value: TOMLNode)])

    static func == (a: TOMLNode, b: TOMLNode) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.float(x), .float(y)): return x == y
        case let (.boolean(x), .boolean(y)): return x == y
        case let (.dateTime(x), .dateTime(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.table(x), .table(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Parses a TOML document; a syntax error becomes `line:column: reason`.
    static func parse(_ text: String) throws(TOMLSyntaxError) -> [(key: String, value: TOMLNode)] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLSyntaxError(line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        } catch {
            throw TOMLSyntaxError(line: 0, column: 0, reason: "\(error)")
        }
        guard case .table(let entries) = TOMLNode(table) else { return [] }
        return entries
    }

    init(_ value: TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .double: self = .float(value.double ?? 0)
        case .bool: self = .boolean(value.bool ?? false)
        case .date, .time, .dateTime: self = .dateTime(value.tomlValue.debugDescription)
        case .array: self = .array((value.array.map { Array($0) } ?? []).map { TOMLNode($0) })
        case .table:
            var entries: [(key: String, value: TOMLNode)] = []
            if let table = value.table {
                for (key, element) in table { entries.append((key, TOMLNode(element))) }
            }
            self = .table(entries.sorted { $0.key < $1.key })
        }
    }

    /// How the value reads in an error message: `string "lots"`, `integer 5`.
    var found: String {
        switch self {
        case .string(let s): return "string \(Self.quoted(s))"
        case .integer(let i): return "integer \(i)"
        case .float(let d): return "float \(d)"
        case .boolean(let b): return "boolean \(b)"
        case .dateTime(let text): return "date-time \(text)"
        case .array(let elements): return "array \(Self.render(elements))"
        case .table: return "table"
        }
    }

    /// Short rendering of an array for messages: `["a", 1]`.
    static func render(_ elements: [TOMLNode]) -> String {
        let shown = elements.prefix(4).map { element -> String in
            switch element {
            case .string(let s): return quoted(s)
            case .integer(let i): return String(i)
            case .float(let d): return String(d)
            case .boolean(let b): return String(b)
            case .dateTime(let t): return t
            case .array: return "[...]"
            case .table: return "{...}"
            }
        }
        return "[" + shown.joined(separator: ", ") + (elements.count > 4 ? ", ..." : "") + "]"
    }

    /// A string in double quotes, escaped as in TOML.
    static func quoted(_ s: String) -> String { quotedBasicString(s) }
}
