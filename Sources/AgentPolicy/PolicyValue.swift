/// A JSON value: the `input` document a policy rule is evaluated against,
/// and the constants a policy compares it with.
///
/// Strings and object keys compare byte for byte (UTF-8), as in Rego, not by
/// Swift's Unicode canonical equivalence: a policy that pins `"é"` must not
/// match a decomposed `"e\u{301}"` sent by the host.
public enum PolicyValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([PolicyValue])
    case object([String: PolicyValue])
}

extension PolicyValue: Equatable {
    public static func == (lhs: PolicyValue, rhs: PolicyValue) -> Bool {
        compare(lhs, rhs) == 0
    }
}

extension PolicyValue {
    /// The member `key` of an object, matched byte for byte; nil if `self`
    /// is not an object or has no such member.
    public subscript(key: String) -> PolicyValue? {
        guard case .object(let members) = self, let index = members.index(forKey: key) else { return nil }
        // Dictionary lookup matches canonically equivalent keys; Rego does not.
        let entry = members[index]
        return entry.key.utf8.elementsEqual(key.utf8) ? entry.value : nil
    }

    /// The element at `index` of an array; nil if `self` is not an array or
    /// `index` is out of range.
    public subscript(index: Int) -> PolicyValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}

// MARK: - Ordering

extension PolicyValue {
    /// Rego's total order on values: null < booleans < numbers < strings <
    /// arrays < objects; strings by UTF-8 bytes, arrays element-wise, objects
    /// by their sorted keys and then values. Returns -1, 0 or 1.
    static func compare(_ a: PolicyValue, _ b: PolicyValue) -> Int {
        switch (a, b) {
        case (.null, .null):
            return 0
        case (.bool(let x), .bool(let y)):
            return x == y ? 0 : (x ? 1 : -1)
        case (.number(let x), .number(let y)):
            return x < y ? -1 : (x > y ? 1 : 0)
        case (.string(let x), .string(let y)):
            return compareBytes(x, y)
        case (.array(let x), .array(let y)):
            for (u, v) in zip(x, y) {
                let c = compare(u, v)
                if c != 0 { return c }
            }
            return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
        case (.object(let x), .object(let y)):
            let xs = sortedMembers(x)
            let ys = sortedMembers(y)
            for (u, v) in zip(xs, ys) {
                let k = compareBytes(u.key, v.key)
                if k != 0 { return k }
                let c = compare(u.value, v.value)
                if c != 0 { return c }
            }
            return xs.count < ys.count ? -1 : (xs.count > ys.count ? 1 : 0)
        default:
            return a.typeRank < b.typeRank ? -1 : 1
        }
    }

    private var typeRank: Int {
        switch self {
        case .null: 0
        case .bool: 1
        case .number: 2
        case .string: 3
        case .array: 4
        case .object: 5
        }
    }

    static func compareBytes(_ x: String, _ y: String) -> Int {
        var i = x.utf8.makeIterator()
        var j = y.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let u?, let v?): if u != v { return u < v ? -1 : 1 }
            }
        }
    }

    static func sortedMembers(_ members: [String: PolicyValue]) -> [(key: String, value: PolicyValue)] {
        members.sorted { compareBytes($0.key, $1.key) < 0 }
    }
}

// MARK: - JSON

extension PolicyValue {
    /// Nesting deeper than this is rejected rather than risk the stack of the
    /// agent's threads; protobuf JSON of agent requests nests about ten deep.
    public static let maximumJSONDepth = 128

    /// Why a JSON text was rejected: what, and at which UTF-8 byte offset
    /// (0-based) of the text.
    public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var message: String

        public init(offset: Int, message: String) {
            self.offset = offset
            self.message = message
        }

        public var description: String { "JSON at byte \(offset): \(message)" }
    }

    /// Parses one JSON value (RFC 8259; surrounding whitespace allowed).
    /// Duplicate object keys: the last one wins, as in Go and serde_json.
    /// Numbers beyond the range of `Double` and lone UTF-16 surrogates in
    /// `\u` escapes are errors.
    public init(json: String) throws(JSONError) {
        var parser = JSONParser(bytes: Array(json.utf8))
        self = try parser.parseDocument()
    }

    /// The value as compact JSON, object members sorted by key bytes.
    /// Integral numbers within ±2^53 are written without a fraction.
    public var jsonText: String {
        var out = ""
        writeJSON(to: &out)
        return out
    }

    private func writeJSON(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += Self.formatNumber(n)
        case .string(let s): Self.writeJSONString(s, to: &out)
        case .array(let elements):
            out += "["
            for (i, e) in elements.enumerated() {
                if i > 0 { out += "," }
                e.writeJSON(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, m) in Self.sortedMembers(members).enumerated() {
                if i > 0 { out += "," }
                Self.writeJSONString(m.key, to: &out)
                out += ":"
                m.value.writeJSON(to: &out)
            }
            out += "}"
        }
    }

    static func formatNumber(_ n: Double) -> String {
        if n == n.rounded(), abs(n) <= 9_007_199_254_740_992 {
            // -0 prints as 0: JSON has no use for the sign.
            return String(Int64(n))
        }
        // Swift's shortest round-trip form ("1.5", "1e-07", "1e+100") is valid JSON.
        return n.description
    }

    static func writeJSONString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// A recursive-descent RFC 8259 parser over UTF-8 bytes.
struct JSONParser {
    let bytes: [UInt8]
    var pos = 0
    var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    typealias JSONError = PolicyValue.JSONError

    mutating func parseDocument() throws(JSONError) -> PolicyValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if pos < bytes.count { throw error("unexpected \(describe(bytes[pos])) after the JSON value") }
        return value
    }

    private func error(_ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(offset: offset ?? pos, message: message)
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
    }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONError) -> PolicyValue {
        guard pos < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected \(describe(bytes[pos])), expected a value")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONError) {
        let start = pos
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { w in
            bytes.count - pos >= count && bytes[pos..<pos + count].elementsEqual(w)
        }
        guard matches else { throw error("invalid literal, expected \(word)", at: start) }
        pos += count
    }

    private mutating func enter() throws(JSONError) {
        depth += 1
        if depth > PolicyValue.maximumJSONDepth {
            throw error("nesting deeper than \(PolicyValue.maximumJSONDepth)")
        }
    }

    private mutating func parseObject() throws(JSONError) -> PolicyValue {
        try enter()
        pos += 1
        var members: [String: PolicyValue] = [:]
        skipWhitespace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input in an object") }
            guard bytes[pos] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describe(bytes[pos])), expected a string key")
            }
            let keyOffset = pos
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw error("expected ':' after an object key")
            }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            if let index = members.index(forKey: key), !members[index].key.utf8.elementsEqual(key.utf8) {
                // Two keys that Swift's Dictionary would merge but Rego keeps apart.
                throw error("object keys differ only in Unicode normalization", at: keyOffset)
            }
            members[key] = value
            skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input in an object") }
            switch bytes[pos] {
            case UInt8(ascii: ","):
                pos += 1
            case UInt8(ascii: "}"):
                pos += 1
                depth -= 1
                return .object(members)
            default:
                throw error("unexpected \(describe(bytes[pos])), expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(JSONError) -> PolicyValue {
        try enter()
        pos += 1
        var elements: [PolicyValue] = []
        skipWhitespace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input in an array") }
            switch bytes[pos] {
            case UInt8(ascii: ","):
                pos += 1
            case UInt8(ascii: "]"):
                pos += 1
                depth -= 1
                return .array(elements)
            default:
                throw error("unexpected \(describe(bytes[pos])), expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws(JSONError) -> Double {
        let start = pos
        func isDigit(_ i: Int) -> Bool {
            i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
        }
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard isDigit(pos) else { throw error("expected a digit in a number") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if isDigit(pos) { throw error("leading zero in a number") }
        } else {
            while isDigit(pos) { pos += 1 }
        }
        if pos < bytes.count && bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard isDigit(pos) else { throw error("expected a digit after the decimal point") }
            while isDigit(pos) { pos += 1 }
        }
        if pos < bytes.count && (bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E")) {
            pos += 1
            if pos < bytes.count && (bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard isDigit(pos) else { throw error("expected a digit in the exponent") }
            while isDigit(pos) { pos += 1 }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw error("number out of range", at: start)
        }
        return value
    }

    private mutating func parseString() throws(JSONError) -> String {
        pos += 1  // opening quote
        var out: [UInt8] = []
        var runStart = pos
        while true {
            guard pos < bytes.count else { throw error("unterminated string") }
            let byte = bytes[pos]
            if byte == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart..<pos])
                pos += 1
                // Valid: the bytes come from a Swift String, escapes from scalars.
                return String(decoding: out, as: UTF8.self)
            }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            if byte != UInt8(ascii: "\\") {
                pos += 1
                continue
            }
            out.append(contentsOf: bytes[runStart..<pos])
            let escapeOffset = pos
            pos += 1
            guard pos < bytes.count else { throw error("unterminated string") }
            let escaped = bytes[pos]
            pos += 1
            switch escaped {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let scalar = try parseUnicodeEscape(escapeOffset: escapeOffset)
                UTF8.encode(scalar) { out.append($0) }
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(escaped)))'", at: escapeOffset)
            }
            runStart = pos
        }
    }

    /// After `\u`: four hex digits, and for a high surrogate the `\uDC00`-`\uDFFF` that must follow.
    private mutating func parseUnicodeEscape(escapeOffset: Int) throws(JSONError) -> Unicode.Scalar {
        let first = try parseHex4()
        switch first {
        case 0xD800...0xDBFF:
            guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                throw error("high surrogate not followed by a low surrogate", at: escapeOffset)
            }
            pos += 2
            let second = try parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw error("high surrogate not followed by a low surrogate", at: escapeOffset)
            }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            return Unicode.Scalar(value)!
        case 0xDC00...0xDFFF:
            throw error("lone low surrogate", at: escapeOffset)
        default:
            return Unicode.Scalar(first)!
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard pos < bytes.count else { throw error("unterminated \\u escape") }
            let b = bytes[pos]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit \(describe(b)) in a \\u escape")
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }
}
