/// The outcome of checking one agent request against the policy.
public enum PolicyDecision: Sendable, Equatable {
    case allowed
    /// The request must fail with PermissionDenied and this message,
    /// `<Request> is blocked by policy`.
    case denied(message: String)
}

/// A Kata agent policy: a subset of Rego evaluated without OPA.
///
/// The agent checks each ttrpc request against the rule named after the
/// request message (`CreateContainerRequest`, `ExecProcessRequest`,
/// `ReadStreamRequest`, ...), with the request as `input`. The supported
/// language:
///
/// - `package agent_policy` first; `import future.keywords[.in|.if|.every|.contains]`
///   and `import rego.v1` are accepted and change nothing (`if` is always a keyword).
/// - `# comments`; strings in double quotes (JSON escapes) or backquotes.
/// - `default Name := true|false` (or `=`), at most once per rule.
/// - `Name if { body }`, `Name { body }`, `Name if expression`,
///   `Name := true|false [if] { body }`, `Name := true|false` (always holds);
///   `=` may replace `:=`. A rule's definitions must all give the same value.
/// - A body is expressions separated by newlines or `;`, all of which must
///   hold; several definitions of a rule hold when any one does.
/// - An expression is `[not] term [op term]` with `op` one of `==` (or `=`),
///   `!=`, `<`, `<=`, `>`, `>=`. A lone term holds when it is defined and not
///   `false`; `not` holds when the rest does not (including when undefined).
/// - A term is a constant (string, number, `true`, `false`, `null`), an array
///   `[term, ...]`, a reference `input.a.b`, `input.a["b"]`, `input.a[0]`, or
///   `count(term)`, `startswith(term, term)`, `endswith(term, term)`,
///   `contains(term, term)`. Two references may be compared (`input.a == input.b`).
///
/// As in Rego, a reference to a missing field is undefined and so is any
/// comparison or builtin it feeds, which then does not hold; builtins given
/// the wrong types are undefined too (OPA without strict builtin errors).
/// Equality is deep and type-strict except that numbers compare by value
/// (`1 == 1.0`); ordering follows Rego's total order (null < booleans <
/// numbers < strings < arrays < objects; strings by UTF-8 bytes).
///
/// Anything else (variables, `some`, `every`, `in`, `with`, `else`,
/// comprehensions, object or set literals, `data` references, other rules
/// referenced from a body, functions defined in the policy, other builtins,
/// partial rules, non-boolean rule values, arithmetic) is rejected by
/// `init(rego:)` with the line and the construct.
public struct AgentPolicy: Sendable {
    /// The rule that, when true, lets every request through; a debugging aid.
    public static let allowFailuresRule = "AllowRequestsFailingPolicy"

    let rules: [String: Rule]
    /// Set only for `allowAll`.
    private let unrestricted: Bool

    /// Whether the policy sets `AllowRequestsFailingPolicy` (evaluated once,
    /// with `{}` as input): requests it denies are then allowed anyway.
    public private(set) var allowsFailingRequests: Bool

    /// Parses and validates a policy document.
    public init(rego: String) throws(PolicyError) {
        rules = try Parser.parse(rego)
        unrestricted = false
        allowsFailingRequests = false
        allowsFailingRequests = evaluate(Self.allowFailuresRule, input: .object([:])) == true
    }

    private init(unrestricted: Bool) {
        rules = [:]
        self.unrestricted = unrestricted
        allowsFailingRequests = false
    }

    /// The state before any `SetPolicy`: every request is allowed.
    public static let allowAll = AgentPolicy(unrestricted: true)

    /// The names of the rules the policy defines (with a default, a body or both), sorted.
    public var ruleNames: [String] { rules.keys.sorted() }

    /// The value of rule `name` for `input`: true or false when a definition
    /// holds or the rule has a default, nil when undefined (the agent denies).
    /// Ignores `AllowRequestsFailingPolicy`.
    public func evaluate(_ name: String, input: PolicyValue) -> Bool? {
        if unrestricted { return true }
        guard let rule = rules[name] else { return nil }
        for definition in rule.definitions where definition.body.allSatisfy({ holds($0, input) }) {
            return definition.value
        }
        return rule.defaultValue
    }

    /// Whether `request` (a request message name such as `ExecProcessRequest`)
    /// may proceed with `input`, counting `AllowRequestsFailingPolicy`.
    public func isAllowed(_ request: String, input: PolicyValue) -> Bool {
        evaluate(request, input: input) == true || allowsFailingRequests
    }

    /// `isAllowed` with the message the agent returns on denial.
    public func decide(_ request: String, input: PolicyValue) -> PolicyDecision {
        isAllowed(request, input: input) ? .allowed : .denied(message: "\(request) is blocked by policy")
    }

    // MARK: Evaluation

    private func holds(_ expression: Expression, _ input: PolicyValue) -> Bool {
        let result: Bool
        if let (comparison, rhsTerm) = expression.comparison {
            if let lhs = value(of: expression.lhs, input), let rhs = value(of: rhsTerm, input) {
                let order = PolicyValue.compare(lhs, rhs)
                switch comparison {
                case .equal: result = order == 0
                case .notEqual: result = order != 0
                case .less: result = order < 0
                case .lessOrEqual: result = order <= 0
                case .greater: result = order > 0
                case .greaterOrEqual: result = order >= 0
                }
            } else {
                result = false
            }
        } else {
            let v = value(of: expression.lhs, input)
            result = v != nil && v != .bool(false)
        }
        return expression.negated ? !result : result
    }

    private func value(of term: Term, _ input: PolicyValue) -> PolicyValue? {
        switch term {
        case .constant(let v):
            return v
        case .input(let path):
            var v = input
            for key in path {
                switch key {
                case .string(let member):
                    guard let next = v[member] else { return nil }
                    v = next
                case .number(let n):
                    guard n >= 0, n < Double(Int.max), n == n.rounded(), let next = v[Int(n)] else { return nil }
                    v = next
                default:
                    return nil
                }
            }
            return v
        case .array(let terms):
            var elements: [PolicyValue] = []
            elements.reserveCapacity(terms.count)
            for t in terms {
                guard let e = value(of: t, input) else { return nil }
                elements.append(e)
            }
            return .array(elements)
        case .call(let builtin, let arguments):
            var args: [PolicyValue] = []
            for a in arguments {
                guard let v = value(of: a, input) else { return nil }
                args.append(v)
            }
            return call(builtin, args)
        }
    }

    private func call(_ builtin: Builtin, _ args: [PolicyValue]) -> PolicyValue? {
        if builtin == .count {
            switch args[0] {
            case .array(let a): return .number(Double(a.count))
            case .object(let o): return .number(Double(o.count))
            // Rego counts code points.
            case .string(let s): return .number(Double(s.unicodeScalars.count))
            default: return nil
            }
        }
        guard case .string(let s) = args[0], case .string(let t) = args[1] else { return nil }
        // Bytes, not Characters: Swift's hasPrefix would see "e\u{301}" as not starting with "e".
        let haystack = Array(s.utf8)
        let needle = Array(t.utf8)
        switch builtin {
        case .startswith:
            return .bool(haystack.starts(with: needle))
        case .endswith:
            return .bool(haystack.count >= needle.count && haystack.suffix(needle.count).elementsEqual(needle))
        case .contains:
            if needle.isEmpty { return .bool(true) }
            guard haystack.count >= needle.count else { return .bool(false) }
            for start in 0...(haystack.count - needle.count)
            where haystack[start] == needle[0] && haystack[start..<start + needle.count].elementsEqual(needle) {
                return .bool(true)
            }
            return .bool(false)
        case .count:
            return nil
        }
    }
}
