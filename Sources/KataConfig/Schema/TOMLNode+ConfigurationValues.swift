/// Reading a TOML value as the type a configuration key takes; a mismatch
/// says what was expected.
extension TOMLNode {
    func string(_ key: ConfigurationKey) throws(ValueMismatch) -> String {
        guard case .string(let s) = self else { throw ValueMismatch(expected: key.expected) }
        return s
    }

    func bool(_ key: ConfigurationKey) throws(ValueMismatch) -> Bool {
        guard case .boolean(let b) = self else { throw ValueMismatch(expected: key.expected) }
        return b
    }

    func unsigned(_ key: ConfigurationKey, max: UInt64) throws(ValueMismatch) -> UInt64 {
        guard case .integer(let i) = self else { throw ValueMismatch(expected: key.expected) }
        guard i >= 0, UInt64(i) <= max else {
            let range = "an integer from 0 to \(max)"
            throw ValueMismatch(expected: key.unit.map { "\(range) (\($0))" } ?? range)
        }
        return UInt64(i)
    }

    func number(_ key: ConfigurationKey) throws(ValueMismatch) -> Double {
        switch self {
        case .integer(let i): return Double(i)
        case .float(let d) where d.isFinite: return d
        default: throw ValueMismatch(expected: key.expected)
        }
    }

    func strings(_ key: ConfigurationKey) throws(ValueMismatch) -> [String] {
        guard case .array(let elements) = self else { throw ValueMismatch(expected: key.expected) }
        var out: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let s) = element else {
                throw ValueMismatch(expected: key.expected, found: "\(element.found) at index \(index)")
            }
            out.append(s)
        }
        return out
    }
}
