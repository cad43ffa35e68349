/// One token of a policy text.
struct Token: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case string(String)
        case number(Double)
        /// Operators and punctuation, e.g. `{`, `==`, `:=`.
        case symbol(String)
        case newline
        case end
    }

    var kind: Kind
    var line: Int
    /// The source text, for error messages.
    var text: String

    func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }
    func isIdentifier(_ s: String) -> Bool { kind == .identifier(s) }

    /// Newline, `;`, `}` or the end: where an expression in a body stops.
    var endsExpression: Bool {
        switch kind {
        case .newline, .end: true
        case .symbol(let s): s == ";" || s == "}"
        default: false
        }
    }

    /// How the token reads in an error message.
    var quoted: String {
        switch kind {
        case .newline: "end of line"
        case .end: "end of policy"
        case .string: text
        default: "\"\(text)\""
        }
    }
}

/// Splits a policy into tokens. Newlines separate rules and the expressions
/// of a body, so they are tokens, except inside `(...)` and `[...]` where an
/// argument list or array may span lines.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var pos = 0
    private var line = 1
    private var groupDepth = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    static func tokenize(_ text: String) throws(PolicyError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        pos + offset < scalars.count ? scalars[pos + offset] : nil
    }

    private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }

    private static func isDigit(_ c: Unicode.Scalar?) -> Bool {
        guard let c else { return false }
        return ("0"..."9").contains(c)
    }

    mutating func next() throws(PolicyError) -> Token {
        while let c = peek() {
            switch c {
            case " ", "\t", "\r":
                pos += 1
            case "#":
                while let d = peek(), d != "\n" { pos += 1 }
            case "\n":
                pos += 1
                line += 1
                if groupDepth == 0 { return Token(kind: .newline, line: line - 1, text: "\n") }
            case "\"":
                return try quotedString()
            case "`":
                return try rawString()
            case _ where Self.isDigit(c):
                return number()
            case _ where Self.isIdentifierStart(c):
                let start = pos
                while let d = peek(), Self.isIdentifierStart(d) || Self.isDigit(d) { pos += 1 }
                let name = text(start, pos)
                return Token(kind: .identifier(name), line: line, text: name)
            default:
                return try symbol(c)
            }
        }
        return Token(kind: .end, line: line, text: "")
    }

    private func text(_ from: Int, _ to: Int) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars[from..<to])
        return s
    }

    private static let pairs: Set<String> = [":=", "==", "!=", "<=", ">="]
    private static let singles = Set("{}[]().,;=<>|&+-*/%:".unicodeScalars)

    private mutating func symbol(_ c: Unicode.Scalar) throws(PolicyError) -> Token {
        if let d = peek(1) {
            var pair = String(c)
            pair.unicodeScalars.append(d)
            if Self.pairs.contains(pair) {
                pos += 2
                return Token(kind: .symbol(pair), line: line, text: pair)
            }
        }
        guard Self.singles.contains(c) else {
            throw PolicyError(line: line, message: "unexpected character \"\(Character(c))\"")
        }
        switch c {
        case "(", "[": groupDepth += 1
        case ")", "]": groupDepth = max(0, groupDepth - 1)
        default: break
        }
        pos += 1
        return Token(kind: .symbol(String(c)), line: line, text: String(c))
    }

    /// Digits, an optional fraction and exponent; the sign is a separate `-`.
    private mutating func number() -> Token {
        let start = pos
        while Self.isDigit(peek()) { pos += 1 }
        if peek() == ".", Self.isDigit(peek(1)) {
            pos += 1
            while Self.isDigit(peek()) { pos += 1 }
        }
        if peek() == "e" || peek() == "E" {
            let sign = peek(1) == "+" || peek(1) == "-" ? 1 : 0
            if Self.isDigit(peek(1 + sign)) {
                pos += 1 + sign
                while Self.isDigit(peek()) { pos += 1 }
            }
        }
        let literal = text(start, pos)
        // Digits only, so the conversion cannot fail; overflow gives infinity.
        return Token(kind: .number(Double(literal) ?? .infinity), line: line, text: literal)
    }

    private mutating func rawString() throws(PolicyError) -> Token {
        let startLine = line
        let start = pos
        pos += 1
        while let c = peek(), c != "`" {
            if c == "\n" { line += 1 }
            pos += 1
        }
        guard peek() == "`" else {
            throw PolicyError(line: startLine, message: "unterminated raw string")
        }
        pos += 1
        return Token(kind: .string(text(start + 1, pos - 1)), line: startLine, text: text(start, pos))
    }

    private mutating func quotedString() throws(PolicyError) -> Token {
        let start = pos
        pos += 1
        var value = ""
        while true {
            guard let c = peek(), c != "\n" else {
                throw PolicyError(line: line, message: "unterminated string")
            }
            pos += 1
            if c == "\"" { break }
            if c != "\\" {
                value.unicodeScalars.append(c)
                continue
            }
            guard let e = peek() else { throw PolicyError(line: line, message: "unterminated string") }
            pos += 1
            switch e {
            case "\"", "\\", "/": value.unicodeScalars.append(e)
            case "b": value += "\u{08}"
            case "f": value += "\u{0C}"
            case "n": value += "\n"
            case "r": value += "\r"
            case "t": value += "\t"
            case "u": value.unicodeScalars.append(try unicodeEscape())
            default:
                throw PolicyError(line: line, message: "invalid escape \"\\\(Character(e))\" in a string")
            }
        }
        return Token(kind: .string(value), line: line, text: text(start, pos))
    }

    private mutating func unicodeEscape() throws(PolicyError) -> Unicode.Scalar {
        let first = try hex4()
        switch first {
        case 0xD800...0xDBFF:
            guard peek() == "\\", peek(1) == "u" else {
                throw PolicyError(line: line, message: "high surrogate not followed by a low surrogate in a string")
            }
            pos += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw PolicyError(line: line, message: "high surrogate not followed by a low surrogate in a string")
            }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw PolicyError(line: line, message: "lone low surrogate in a string")
        default:
            return Unicode.Scalar(first)!
        }
    }

    private mutating func hex4() throws(PolicyError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let c = peek(), let digit = Self.hexValue(c) else {
                throw PolicyError(line: line, message: "invalid \\u escape in a string")
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 0x30
        case "a"..."f": c.value - 0x61 + 10
        case "A"..."F": c.value - 0x41 + 10
        default: nil
        }
    }
}
