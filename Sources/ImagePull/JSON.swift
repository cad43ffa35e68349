/// A parsed JSON document. The registry's manifests and the image config are
/// small, and the guest agent has no Foundation, so a tree is enough.
enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    subscript(key: String) -> JSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var array: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var integer: Int64? {
        if case .number(let value) = self, value == value.rounded(), abs(value) < 9.0e15 { return Int64(value) }
        return nil
    }

    /// An array of strings (`Cmd`, `Env`); nil when absent, null or not all strings.
    var strings: [String]? {
        guard let items = array else { return nil }
        let values = items.compactMap(\.string)
        return values.count == items.count ? values : nil
    }
}
