/// A key of a section and how its TOML value lands in the Swift model: the
/// schema table and the decoder in one, so the two cannot drift apart.
struct ConfigurationField<Root> {
    let key: ConfigurationKey
    /// Assigns the value; returns a note when a Kata rule replaced it (a
    /// warning for the operator), throws when the value does not fit.
    let decode: (TOMLNode, inout Root) throws(ValueMismatch) -> String?
}

extension ConfigurationField {
    /// Known to Kata, checked for its type, not used by this runtime.
    static func ignored(_ name: String, _ type: ConfigurationValueType, unit: String? = nil) -> Self {
        let key = ConfigurationKey(name: name, type: type, unit: unit, used: false)
        return Self(key: key) { (node, _) throws(ValueMismatch) in
            switch type {
            case .string: _ = try node.string(key)
            case .boolean: _ = try node.bool(key)
            case .unsignedInteger: _ = try node.unsigned(key, max: UInt64.max)
            case .number: _ = try node.number(key)
            case .stringArray: _ = try node.strings(key)
            }
            return nil
        }
    }

    /// A string; with `emptyMeansDefault` an empty string keeps the default,
    /// as Kata does for paths such as `kernel` or `entropy_source`.
    static func string(_ name: String, _ path: WritableKeyPath<Root, String>, emptyMeansDefault: Bool = false) -> Self {
        let key = ConfigurationKey(name: name, type: .string)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            let value = try node.string(key)
            if !(emptyMeansDefault && value.isEmpty) { root[keyPath: path] = value }
            return nil
        }
    }

    /// A path where an empty string means "not set", as in Kata.
    static func optionalString(_ name: String, _ path: WritableKeyPath<Root, String?>) -> Self {
        let key = ConfigurationKey(name: name, type: .string)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            let value = try node.string(key)
            root[keyPath: path] = value.isEmpty ? nil : value
            return nil
        }
    }

    /// One of a fixed set of strings; an empty string keeps the default.
    static func choice(_ name: String, _ path: WritableKeyPath<Root, String>, _ allowed: [String]) -> Self {
        let key = ConfigurationKey(name: name, type: .string)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            let value = try node.string(key)
            if value.isEmpty { return nil }
            guard allowed.contains(value) else {
                throw ValueMismatch(expected: "one of " + allowed.map { TOMLNode.quoted($0) }.joined(separator: ", "))
            }
            root[keyPath: path] = value
            return nil
        }
    }

    /// One of an enumeration's raw values; an empty string keeps the default.
    static func choice<E: RawRepresentable & CaseIterable>(_ name: String, _ path: WritableKeyPath<Root, E>) -> Self
    where E.RawValue == String {
        let key = ConfigurationKey(name: name, type: .string)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            let value = try node.string(key)
            if value.isEmpty { return nil }
            guard let choice = E(rawValue: value) else {
                throw ValueMismatch(expected: "one of " + E.allCases.map { TOMLNode.quoted($0.rawValue) }.joined(separator: ", "))
            }
            root[keyPath: path] = choice
            return nil
        }
    }

    static func bool(_ name: String, _ path: WritableKeyPath<Root, Bool>) -> Self {
        let key = ConfigurationKey(name: name, type: .boolean)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            root[keyPath: path] = try node.bool(key)
            return nil
        }
    }

    static func strings(_ name: String, _ path: WritableKeyPath<Root, [String]>) -> Self {
        let key = ConfigurationKey(name: name, type: .stringArray)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            root[keyPath: path] = try node.strings(key)
            return nil
        }
    }

    /// A UInt32; `rule` applies Kata's replacement of special values and
    /// returns the note to warn with when it changed something.
    static func uint32(
        _ name: String, _ path: WritableKeyPath<Root, UInt32>, unit: String? = nil,
        rule: @escaping (UInt32) -> (UInt32, String?) = { ($0, nil) }
    ) -> Self {
        let key = ConfigurationKey(name: name, type: .unsignedInteger, unit: unit)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            let (value, note) = rule(UInt32(try node.unsigned(key, max: UInt64(UInt32.max))))
            root[keyPath: path] = value
            return note
        }
    }

    static func uint64(
        _ name: String, _ path: WritableKeyPath<Root, UInt64>, unit: String? = nil,
        rule: @escaping (UInt64) -> (UInt64, String?) = { ($0, nil) }
    ) -> Self {
        let key = ConfigurationKey(name: name, type: .unsignedInteger, unit: unit)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            let (value, note) = rule(try node.unsigned(key, max: UInt64.max))
            root[keyPath: path] = value
            return note
        }
    }

    static func optionalUInt64(_ name: String, _ path: WritableKeyPath<Root, UInt64?>) -> Self {
        let key = ConfigurationKey(name: name, type: .unsignedInteger)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            root[keyPath: path] = try node.unsigned(key, max: UInt64.max)
            return nil
        }
    }

    static func number(
        _ name: String, _ path: WritableKeyPath<Root, Double>, unit: String? = nil,
        rule: @escaping (Double) -> (Double, String?) = { ($0, nil) }
    ) -> Self {
        let key = ConfigurationKey(name: name, type: .number, unit: unit)
        return Self(key: key) { (node, root) throws(ValueMismatch) in
            let (value, note) = rule(try node.number(key))
            root[keyPath: path] = value
            return note
        }
    }
}
