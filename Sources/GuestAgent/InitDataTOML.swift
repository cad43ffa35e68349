/// The subset of TOML that an initdata document uses, and nothing more:
/// top-level `key = "string"` pairs and one `[data]` table of strings.
/// Strings may be basic (`"..."`, with escapes), multi-line basic
/// (`"""..."""`), literal (`'...'`) or multi-line literal (`'''...'''`, the
/// form genpolicy writes `policy.rego` in); keys are bare or quoted. Anything
/// else (numbers, arrays, other tables, a key twice) is refused with its line,
/// so that a document the host measured is never half understood here.
public struct InitDataTOML: Sendable, Equatable {
    /// The top-level string pairs (`version`, `algorithm`).
    public var fields: [String: String]
    /// The `[data]` table's entries (`"policy.rego"`, `"aa.toml"`, ...).
    public var data: [String: String]

    public init(fields: [String: String] = [:], data: [String: String] = [:]) {
        self.fields = fields
        self.data = data
    }

    /// Why a document was refused: the 1-based line and what is wrong there.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String

        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }

        public var description: String { "line \(line): \(reason)" }
    }

    /// Parses `text`.
    public static func parse(_ text: String) throws(ParseError) -> InitDataTOML {
        var parser = Parser(Array(text.unicodeScalars))
        return try parser.document()
    }
}

extension InitDataTOML {
    /// A cursor over the document's scalars that knows its line.
    struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0
        var line = 1

        init(_ scalars: [Unicode.Scalar]) {
            self.scalars = scalars
        }

        var atEnd: Bool { position >= scalars.count }
        var current: Unicode.Scalar? { atEnd ? nil : scalars[position] }

        func peek(_ literal: String) -> Bool {
            var index = position
            for scalar in literal.unicodeScalars {
                guard index < scalars.count, scalars[index] == scalar else { return false }
                index += 1
            }
            return true
        }

        mutating func advance() {
            if scalars[position] == "\n" { line += 1 }
            position += 1
        }

        mutating func advance(over literal: String) {
            for _ in literal.unicodeScalars { advance() }
        }

        func error(_ reason: String) -> ParseError { ParseError(line: line, reason: reason) }

        mutating func skipSpaces() {
            while let c = current, c == " " || c == "\t" { advance() }
        }

        /// Spaces, then an optional comment, then the end of the line (or document).
        mutating func endOfLine() throws(ParseError) {
            skipSpaces()
            if current == "#" {
                while let c = current, c != "\n" { advance() }
            }
            if peek("\r\n") { advance(); advance(); return }
            guard let c = current else { return }
            guard c == "\n" else { throw error("unexpected \(Self.describe(c)) after the value: one key = value per line") }
            advance()
        }

        mutating func document() throws(ParseError) -> InitDataTOML {
            var result = InitDataTOML()
            var inData = false
            var seenData = false
            while !atEnd {
                skipSpaces()
                guard let c = current else { break }
                if c == "\n" || c == "#" || peek("\r\n") {
                    try endOfLine()
                    continue
                }
                if c == "[" {
                    let header = line
                    advance()
                    if current == "[" { throw error("arrays of tables are not part of initdata: only [data] is") }
                    skipSpaces()
                    let name = try key()
                    skipSpaces()
                    guard current == "]" else { throw error("the table header needs a closing ]") }
                    advance()
                    guard name == "data" else {
                        throw ParseError(line: header, reason: "table [\(name)] is not part of initdata: only [data] is")
                    }
                    guard !seenData else { throw ParseError(line: header, reason: "table [data] appears twice") }
                    seenData = true
                    inData = true
                    try endOfLine()
                    continue
                }
                let keyLine = line
                let name = try key()
                skipSpaces()
                guard current == "=" else {
                    if current == "." { throw error("dotted keys are not part of initdata: quote the key (\"\(name).…\")") }
                    throw error("expected = after the key \(name)")
                }
                advance()
                skipSpaces()
                let value = try string(for: name)
                if inData {
                    guard result.data[name] == nil else { throw ParseError(line: keyLine, reason: "key \(name) appears twice in [data]") }
                    result.data[name] = value
                } else {
                    guard result.fields[name] == nil else { throw ParseError(line: keyLine, reason: "key \(name) appears twice") }
                    result.fields[name] = value
                }
                try endOfLine()
            }
            return result
        }

        /// A bare key (`A-Za-z0-9_-`) or a quoted one.
        mutating func key() throws(ParseError) -> String {
            guard let c = current else { throw error("expected a key at the end of the document") }
            if c == "\"" {
                guard !peek("\"\"\"") else { throw error("a key cannot be a multi-line string") }
                return try basicString()
            }
            if c == "'" {
                guard !peek("'''") else { throw error("a key cannot be a multi-line string") }
                return try literalString()
            }
            var name = ""
            while let c = current, Self.isBareKeyScalar(c) {
                name.unicodeScalars.append(c)
                advance()
            }
            guard !name.isEmpty else { throw error("expected a key, found \(Self.describe(c))") }
            return name
        }

        /// The value of `key`: one of the four string forms.
        mutating func string(for key: String) throws(ParseError) -> String {
            if peek("\"\"\"") { return try multiLineBasicString() }
            if peek("'''") { return try multiLineLiteralString() }
            if current == "\"" { return try basicString() }
            if current == "'" { return try literalString() }
            guard let c = current, c != "\n" else { throw error("key \(key) has no value") }
            throw error("the value of \(key) is not a string (found \(Self.describe(c))): initdata values are strings")
        }

        /// `"..."` with escapes, on one line.
        mutating func basicString() throws(ParseError) -> String {
            advance()
            var value = ""
            while true {
                guard let c = current, c != "\n" else { throw error("a \"string\" is not closed on its line") }
                if c == "\"" { advance(); return value }
                if c == "\\" {
                    value.unicodeScalars.append(try escape())
                } else {
                    value.unicodeScalars.append(c)
                    advance()
                }
            }
        }

        /// `'...'`, verbatim, on one line.
        mutating func literalString() throws(ParseError) -> String {
            advance()
            var value = ""
            while true {
                guard let c = current, c != "\n" else { throw error("a 'literal string' is not closed on its line") }
                if c == "'" { advance(); return value }
                value.unicodeScalars.append(c)
                advance()
            }
        }

        /// `'''...'''`, verbatim; a newline right after the opening is dropped,
        /// and up to two quotes may end the content right before the closing.
        mutating func multiLineLiteralString() throws(ParseError) -> String {
            let opening = line
            advance(over: "'''")
            skipFirstNewline()
            var value = ""
            while true {
                guard current != nil else {
                    throw ParseError(line: opening, reason: "a '''multi-line literal string''' opened here is never closed")
                }
                if peek("'''") {
                    // `''''` or `'''''`: the extra quotes belong to the content.
                    var extra = 0
                    while extra < 2, position + 3 + extra < scalars.count, scalars[position + 3 + extra] == "'" { extra += 1 }
                    for _ in 0..<extra { value.unicodeScalars.append("'"); advance() }
                    advance(over: "'''")
                    return value
                }
                value.unicodeScalars.append(current!)
                advance()
            }
        }

        /// `"""..."""` with escapes and line-ending backslashes.
        mutating func multiLineBasicString() throws(ParseError) -> String {
            let opening = line
            advance(over: "\"\"\"")
            skipFirstNewline()
            var value = ""
            while true {
                guard let c = current else {
                    throw ParseError(line: opening, reason: "a \"\"\"multi-line string\"\"\" opened here is never closed")
                }
                if peek("\"\"\"") {
                    var extra = 0
                    while extra < 2, position + 3 + extra < scalars.count, scalars[position + 3 + extra] == "\"" { extra += 1 }
                    for _ in 0..<extra { value.unicodeScalars.append("\""); advance() }
                    advance(over: "\"\"\"")
                    return value
                }
                if c == "\\" {
                    // A backslash at the end of a line joins it with the next non-blank text.
                    var index = position + 1
                    while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
                    if index < scalars.count, scalars[index] == "\n" || scalars[index] == "\r" {
                        advance()
                        while let w = current, w == " " || w == "\t" || w == "\n" || w == "\r" { advance() }
                        continue
                    }
                    value.unicodeScalars.append(try escape())
                } else {
                    value.unicodeScalars.append(c)
                    advance()
                }
            }
        }

        mutating func skipFirstNewline() {
            if peek("\r\n") { advance(); advance() } else if current == "\n" { advance() }
        }

        /// The escape at the cursor (a backslash and what follows).
        mutating func escape() throws(ParseError) -> Unicode.Scalar {
            advance()
            guard let c = current else { throw error("a backslash ends the document") }
            advance()
            switch c {
            case "b": return "\u{08}"
            case "t": return "\t"
            case "n": return "\n"
            case "f": return "\u{0C}"
            case "r": return "\r"
            case "e": return "\u{1B}"
            case "\"": return "\""
            case "\\": return "\\"
            case "u": return try hexScalar(digits: 4)
            case "U": return try hexScalar(digits: 8)
            default:
                throw error("unknown escape \\\(c) in a \"string\": write \\\\ for a backslash, or use a 'literal string'")
            }
        }

        mutating func hexScalar(digits: Int) throws(ParseError) -> Unicode.Scalar {
            var value: UInt32 = 0
            for _ in 0..<digits {
                guard let c = current, c.isASCII, let digit = UInt32(String(c), radix: 16) else {
                    throw error("\\u and \\U need \(digits) hexadecimal digits")
                }
                value = value << 4 | digit
                advance()
            }
            guard let scalar = Unicode.Scalar(value) else { throw error("\\u escape \(String(value, radix: 16)) is not a Unicode scalar") }
            return scalar
        }

        static func isBareKeyScalar(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
        }

        static func describe(_ c: Unicode.Scalar) -> String {
            c == "\n" ? "the end of the line" : "'\(c)'"
        }
    }
}
