/// A value computed from the input; evaluates to nil when undefined.
indirect enum Term: Sendable {
    case constant(PolicyValue)
    /// `input` followed by member names (`.string`) and array indexes (`.number`).
    case input(path: [PolicyValue])
    case array([Term])
    case call(Builtin, [Term])
}

enum Builtin: String, Sendable, CaseIterable {
    case count, startswith, endswith, contains

    var arity: Int { self == .count ? 1 : 2 }
}

enum Comparison: String, Sendable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// One expression of a rule body: a comparison, or a single term that holds
/// when it is defined and not `false`; `not` holds when the rest does not.
struct Expression: Sendable {
    var negated: Bool
    var lhs: Term
    var comparison: (Comparison, Term)?
}

/// One definition of a rule: its value when every expression of its body holds.
/// An empty body always holds (`Name := true`).
struct Definition: Sendable {
    var value: Bool
    var body: [Expression]
    var line: Int
}

struct Rule: Sendable {
    var defaultValue: Bool?
    var defaultLine = 0
    var definitions: [Definition] = []
}

/// Parses the supported subset of Rego into rules; see `AgentPolicy` for the grammar.
struct Parser {
    private let tokens: [Token]
    private var index = 0
    private var depth = 0
    private(set) var rules: [String: Rule] = [:]

    static let packageName = "agent_policy"
    static let acceptedImports: Set<String> = [
        "future.keywords", "future.keywords.in", "future.keywords.if",
        "future.keywords.every", "future.keywords.contains", "rego.v1",
    ]
    /// Keywords that begin constructs outside the subset, and why.
    static let keywordReasons: [String: String] = [
        "some": "variables and iteration are not supported",
        "every": "iteration is not supported",
        "with": "replacing input or data is not supported",
        "else": "else branches are not supported",
        "in": "membership tests and iteration are not supported",
        "as": "aliases are not supported",
    ]

    static func parse(_ text: String) throws(PolicyError) -> [String: Rule] {
        var parser = Parser(tokens: try Lexer.tokenize(text))
        try parser.parseModule()
        return parser.rules
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    // MARK: Token access

    private var current: Token { tokens[index] }
    private func peek(_ offset: Int = 1) -> Token { tokens[min(index + offset, tokens.count - 1)] }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private mutating func skipNewlines() {
        while current.kind == .newline || current.isSymbol(";") { index += 1 }
    }

    private func syntax(_ message: String, _ token: Token? = nil) -> PolicyError {
        PolicyError(line: (token ?? current).line, message: message)
    }

    private mutating func expectEndOfStatement(after what: String) throws(PolicyError) {
        switch current.kind {
        case .newline, .end: return
        case .identifier("else"):
            throw .unsupported("else", Self.keywordReasons["else"]!, line: current.line)
        default:
            throw syntax("unexpected \(current.quoted) after \(what)")
        }
    }

    // MARK: Module

    private mutating func parseModule() throws(PolicyError) {
        skipNewlines()
        guard current.isIdentifier("package") else {
            throw syntax("expected \"package \(Self.packageName)\" before \(current.quoted)")
        }
        let packageToken = advance()
        let name = try dottedName(after: "package")
        guard name == Self.packageName else {
            throw syntax("package \"\(name)\" is not supported: the policy must be package \(Self.packageName)", packageToken)
        }
        try expectEndOfStatement(after: "the package declaration")

        while true {
            skipNewlines()
            let token = current
            guard case .identifier(let word) = token.kind else {
                if token.kind == .end { break }
                throw syntax("expected a rule, found \(token.quoted)")
            }
            switch word {
            case "package":
                throw syntax("a second package declaration")
            case "import":
                index += 1
                let path = try dottedName(after: "import")
                guard Self.acceptedImports.contains(path) else {
                    throw .unsupported("import \(path)", "only future.keywords and rego.v1 imports are supported", line: token.line)
                }
                if current.isIdentifier("as") {
                    throw .unsupported("as", Self.keywordReasons["as"]!, line: current.line)
                }
                try expectEndOfStatement(after: "the import")
            case "default":
                index += 1
                try parseDefault(line: token.line)
            default:
                try parseRule()
            }
        }
    }

    /// `a.b.c` after `package` or `import`.
    private mutating func dottedName(after keyword: String) throws(PolicyError) -> String {
        guard case .identifier(var name) = current.kind else {
            throw syntax("expected a name after \"\(keyword)\", found \(current.quoted)")
        }
        index += 1
        while current.isSymbol("."), case .identifier(let part) = peek().kind {
            name += "." + part
            index += 2
        }
        return name
    }

    private mutating func parseDefault(line: Int) throws(PolicyError) {
        guard case .identifier(let name) = current.kind else {
            throw syntax("expected a rule name after \"default\", found \(current.quoted)")
        }
        index += 1
        guard current.isSymbol(":=") || current.isSymbol("=") else {
            throw syntax("expected \":=\" after \"default \(name)\", found \(current.quoted)")
        }
        index += 1
        guard let value = booleanLiteral(current) else {
            throw .unsupported("default \(name) := ...", "default values other than true or false are not supported", line: current.line)
        }
        index += 1
        try expectEndOfStatement(after: "the default value")
        var rule = rules[name] ?? Rule()
        if rule.defaultValue != nil {
            throw PolicyError(line: line, message: "a second default for \(name) (the first is on line \(rule.defaultLine))")
        }
        rule.defaultValue = value
        rule.defaultLine = line
        rules[name] = rule
    }

    private func booleanLiteral(_ token: Token) -> Bool? {
        switch token.kind {
        case .identifier("true"): true
        case .identifier("false"): false
        default: nil
        }
    }

    // MARK: Rules

    /// `Name [:= true|false] [if] [{ body } | expression]`
    private mutating func parseRule() throws(PolicyError) {
        let nameToken = advance()
        guard case .identifier(let name) = nameToken.kind else { return }
        if let reason = Self.keywordReasons[name] {
            throw .unsupported(name, reason, line: nameToken.line)
        }
        if ["input", "data", "not", "true", "false", "null", "if"].contains(name) {
            throw syntax("expected a rule, found \(nameToken.quoted)", nameToken)
        }
        switch current.kind {
        case .symbol("("):
            throw .unsupported("\(name)(...)", "functions defined in the policy are not supported", line: current.line)
        case .symbol("["):
            throw .unsupported("\(name)[...]", "partial rules are not supported", line: current.line)
        case .symbol("."):
            let line = current.line
            var reference = name
            while current.isSymbol("."), case .identifier(let part) = peek().kind {
                reference += "." + part
                index += 2
            }
            throw .unsupported(reference, "rule heads with references are not supported", line: line)
        case .identifier("contains"):
            throw .unsupported("contains", "partial set rules are not supported", line: current.line)
        default:
            break
        }

        var value = true
        var hasValue = false
        if current.isSymbol(":=") || current.isSymbol("=") {
            index += 1
            guard let literal = booleanLiteral(current) else {
                throw .unsupported("\(name) := ...", "rule values other than true or false are not supported", line: current.line)
            }
            index += 1
            value = literal
            hasValue = true
        }

        var body: [Expression]
        if current.isIdentifier("if") {
            index += 1
            if current.isSymbol("{") {
                body = try parseBody()
            } else if current.endsExpression {
                throw syntax("expected a rule body after \"if\", found \(current.quoted)")
            } else {
                body = [try parseExpression()]
            }
        } else if current.isSymbol("{") {
            body = try parseBody()
        } else if hasValue {
            body = []
        } else {
            throw syntax("expected \"if\", \"{\" or \":=\" after \"\(name)\", found \(current.quoted)")
        }
        if current.isSymbol("{") {
            throw .unsupported("{", "several bodies in one rule are not supported: define the rule once per body", line: current.line)
        }
        try expectEndOfStatement(after: "the rule")

        var rule = rules[name] ?? Rule()
        if let other = rule.definitions.first(where: { $0.value != value }) {
            // Rego would fail at evaluation when both hold; reject the policy instead.
            throw PolicyError(
                line: nameToken.line,
                message: "rule \(name) is \(value) here but \(other.value) on line \(other.line)")
        }
        rule.definitions.append(Definition(value: value, body: body, line: nameToken.line))
        rules[name] = rule
    }

    /// `{` expressions separated by newlines or `;` `}`
    private mutating func parseBody() throws(PolicyError) -> [Expression] {
        let open = advance()
        var body: [Expression] = []
        while true {
            skipNewlines()
            if current.isSymbol("}") {
                index += 1
                break
            }
            if current.kind == .end {
                throw syntax("the rule body opened here is not closed", open)
            }
            body.append(try parseExpression())
            guard current.endsExpression else {
                throw syntax("unexpected \(current.quoted) after an expression")
            }
            if current.kind == .end {
                throw syntax("the rule body opened here is not closed", open)
            }
        }
        if body.isEmpty {
            throw syntax("empty rule body", open)
        }
        return body
    }

    // MARK: Expressions

    private mutating func parseExpression() throws(PolicyError) -> Expression {
        var negated = false
        if current.isIdentifier("not") {
            index += 1
            negated = true
            if current.isIdentifier("not") {
                throw .unsupported("not not", "double negation is not supported", line: current.line)
            }
        }
        if case .identifier(let word) = current.kind, let reason = Self.keywordReasons[word] {
            throw .unsupported(word, reason, line: current.line)
        }
        if peek().isSymbol(":=") {
            throw .unsupported(":=", "assignments in rule bodies are not supported", line: peek().line)
        }
        let lhs = try parseTerm()
        let opToken = current
        switch opToken.kind {
        case _ where opToken.endsExpression:
            return Expression(negated: negated, lhs: lhs, comparison: nil)
        case .symbol(let op):
            let comparison: Comparison
            if op == "=" {
                // Unification of two ground terms is equality; nothing here can bind a variable.
                comparison = .equal
            } else if let c = Comparison(rawValue: op) {
                comparison = c
            } else if op == ":=" {
                throw .unsupported(":=", "assignments in rule bodies are not supported", line: opToken.line)
            } else if ["+", "-", "*", "/", "%", "|", "&"].contains(op) {
                throw .unsupported(op, "arithmetic and set operators are not supported", line: opToken.line)
            } else {
                throw syntax("unexpected \(opToken.quoted) after a term")
            }
            index += 1
            if current.endsExpression {
                throw syntax("expected a value after \(opToken.quoted), found \(current.quoted)")
            }
            let rhs = try parseTerm()
            if case .identifier(let word) = current.kind, let reason = Self.keywordReasons[word] {
                throw .unsupported(word, reason, line: current.line)
            }
            if case .symbol(let next) = current.kind, ["+", "-", "*", "/", "%", "|", "&"].contains(next) {
                throw .unsupported(next, "arithmetic and set operators are not supported", line: current.line)
            }
            return Expression(negated: negated, lhs: lhs, comparison: (comparison, rhs))
        case .identifier(let word):
            if let reason = Self.keywordReasons[word] {
                throw .unsupported(word, reason, line: opToken.line)
            }
            throw syntax("unexpected \(opToken.quoted) after a term")
        default:
            throw syntax("unexpected \(opToken.quoted) after a term")
        }
    }

    private mutating func parseTerm() throws(PolicyError) -> Term {
        let token = current
        switch token.kind {
        case .string(let s):
            index += 1
            return .constant(.string(s))
        case .number(let n):
            index += 1
            return .constant(.number(n))
        case .symbol("-"):
            guard case .number(let n) = peek().kind else {
                throw syntax("unexpected \"-\"")
            }
            index += 2
            return .constant(.number(-n))
        case .symbol("["):
            return try parseArray()
        case .symbol("{"):
            if let bar = findComprehensionBar() {
                throw .unsupported("{... | ...}", "comprehensions are not supported", line: bar.line)
            }
            throw .unsupported("{", "object and set literals are not supported", line: token.line)
        case .symbol("("):
            throw .unsupported("(", "parenthesized expressions are not supported", line: token.line)
        case .identifier(let word):
            return try parseNamedTerm(word, token)
        default:
            throw syntax("expected a value, found \(token.quoted)")
        }
    }

    private mutating func parseNamedTerm(_ word: String, _ token: Token) throws(PolicyError) -> Term {
        switch word {
        case "true": index += 1; return .constant(.bool(true))
        case "false": index += 1; return .constant(.bool(false))
        case "null": index += 1; return .constant(.null)
        case "input": return try parseInputReference()
        case "_": throw .unsupported("_", "wildcards and iteration are not supported", line: token.line)
        case "not": throw .unsupported("not", "not is only supported at the start of an expression", line: token.line)
        default: break
        }
        if let reason = Self.keywordReasons[word] {
            throw .unsupported(word, reason, line: token.line)
        }
        index += 1
        var name = word
        while current.isSymbol("."), case .identifier(let part) = peek().kind {
            name += "." + part
            index += 2
        }
        if current.isSymbol("(") {
            guard let builtin = Builtin(rawValue: name) else {
                throw .unsupported(
                    "\(name)(...)", "the only functions supported are count, startswith, endswith and contains",
                    line: token.line)
            }
            return try parseCall(builtin, token)
        }
        if word == "data" {
            throw .unsupported("data", "references to data are not supported", line: token.line)
        }
        throw .unsupported(word, "references to variables or other rules are not supported", line: token.line)
    }

    private mutating func parseCall(_ builtin: Builtin, _ nameToken: Token) throws(PolicyError) -> Term {
        index += 1  // (
        try enter()
        var arguments: [Term] = []
        if !current.isSymbol(")") {
            while true {
                arguments.append(try parseTerm())
                if current.isSymbol(",") {
                    index += 1
                    continue
                }
                guard current.isSymbol(")") else {
                    throw syntax("expected \",\" or \")\" in the arguments of \(builtin.rawValue), found \(current.quoted)")
                }
                break
            }
        }
        index += 1  // )
        depth -= 1
        guard arguments.count == builtin.arity else {
            throw syntax(
                "\(builtin.rawValue) takes \(builtin.arity) argument\(builtin.arity == 1 ? "" : "s"), not \(arguments.count)",
                nameToken)
        }
        return .call(builtin, arguments)
    }

    /// `input` `.name` | `["key"]` | `[0]` ...
    private mutating func parseInputReference() throws(PolicyError) -> Term {
        index += 1
        var path: [PolicyValue] = []
        while true {
            if current.isSymbol(".") {
                guard case .identifier(let member) = peek().kind else {
                    throw syntax("expected a field name after \".\", found \(peek().quoted)", peek())
                }
                path.append(.string(member))
                index += 2
            } else if current.isSymbol("[") {
                index += 1
                let key = current
                switch key.kind {
                case .string(let s):
                    path.append(.string(s))
                case .number(let n):
                    path.append(.number(n))
                case .identifier("_"):
                    throw .unsupported("_", "wildcards and iteration are not supported", line: key.line)
                case .identifier(let name) where name != "input" && name != "data":
                    throw .unsupported(name, "references to variables or other rules are not supported", line: key.line)
                default:
                    throw syntax("expected a string or number index, found \(key.quoted)")
                }
                index += 1
                guard current.isSymbol("]") else {
                    throw syntax("expected \"]\" after the index, found \(current.quoted)")
                }
                index += 1
            } else {
                return .input(path: path)
            }
        }
    }

    /// `[` terms `]`; `[x | ...]` is a comprehension.
    private mutating func parseArray() throws(PolicyError) -> Term {
        if let bar = findComprehensionBar() {
            throw .unsupported("[... | ...]", "comprehensions are not supported", line: bar.line)
        }
        let open = advance()
        try enter()
        var elements: [Term] = []
        while !current.isSymbol("]") {
            if current.kind == .end {
                throw syntax("the array opened here is not closed", open)
            }
            elements.append(try parseTerm())
            if current.isSymbol(",") {
                index += 1
            } else if !current.isSymbol("]") {
                throw syntax("expected \",\" or \"]\" in an array, found \(current.quoted)")
            }
        }
        index += 1
        depth -= 1
        return .array(elements)
    }

    /// A `|` directly inside the group opened at the current token, if any.
    private func findComprehensionBar() -> Token? {
        var nesting = 0
        var i = index
        while i < tokens.count {
            let token = tokens[i]
            switch token.kind {
            case .symbol("["), .symbol("{"), .symbol("("):
                nesting += 1
            case .symbol("]"), .symbol("}"), .symbol(")"):
                nesting -= 1
                if nesting == 0 { return nil }
            case .symbol("|") where nesting == 1:
                return token
            case .end:
                return nil
            default:
                break
            }
            i += 1
        }
        return nil
    }

    private mutating func enter() throws(PolicyError) {
        depth += 1
        if depth > PolicyValue.maximumJSONDepth {
            throw syntax("nesting deeper than \(PolicyValue.maximumJSONDepth)")
        }
    }
}
