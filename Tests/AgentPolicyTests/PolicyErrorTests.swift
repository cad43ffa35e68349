import AgentPolicy
import Testing

/// Every policy outside the subset fails to parse, naming the construct and line.
@Suite struct PolicyErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var rego: String
        var error: String
        var testDescription: String { error }
    }

    static let cases: [Case] = [
        Case(
            rego: policy(
                "default ExecProcessRequest := false",
                "ExecProcessRequest if {",
                "    some arg in input.process.Args",
                "    arg == \"sh\"",
                "}"),
            error: #"policy line 4: unsupported construct "some": variables and iteration are not supported"#),
        Case(
            rego: policy("CreateContainerRequest if {", "    every s in input.storages { s.source == \"x\" }", "}"),
            error: #"policy line 3: unsupported construct "every": iteration is not supported"#),
        Case(
            rego: policy("R if { input.process.Args[0] in [\"sh\", \"bash\"] }"),
            error: #"policy line 2: unsupported construct "in": membership tests and iteration are not supported"#),
        Case(
            rego: policy("R if { input.process.Args[_] == \"sh\" }"),
            error: #"policy line 2: unsupported construct "_": wildcards and iteration are not supported"#),
        Case(
            rego: policy("R if {", "    cmd := input.process.Args[0]", "    cmd == \"sh\"", "}"),
            error: #"policy line 3: unsupported construct ":=": assignments in rule bodies are not supported"#),
        Case(
            rego: policy("R if {", "    count([a | a := input.x[_]]) == 1", "}"),
            error: #"policy line 3: unsupported construct "[... | ...]": comprehensions are not supported"#),
        Case(
            rego: policy("R if { count({k: v | v := input.x[k]}) == 1 }"),
            error: #"policy line 2: unsupported construct "{... | ...}": comprehensions are not supported"#),
        Case(
            rego: policy("R if { input.a == 1 with input as {} }"),
            error: #"policy line 2: unsupported construct "with": replacing input or data is not supported"#),
        Case(
            rego: policy("", "is_shell(cmd) if { cmd == \"sh\" }"),
            error: #"policy line 3: unsupported construct "is_shell(...)": functions defined in the policy are not supported"#),
        Case(
            rego: policy("R if { input.image == data.allowed_image }"),
            error: #"policy line 2: unsupported construct "data": references to data are not supported"#),
        Case(
            rego: policy("deny contains msg if { msg := \"no\" }"),
            error: #"policy line 2: unsupported construct "contains": partial set rules are not supported"#),
        Case(
            rego: policy("allowed[name] { name := input.name }"),
            error: #"policy line 2: unsupported construct "allowed[...]": partial rules are not supported"#),
        Case(
            rego: policy("R if {", "    regex.match(\"^sh$\", input.cmd)", "}"),
            error: #"policy line 3: unsupported construct "regex.match(...)": the only functions supported are count, startswith, endswith and contains"#),
        Case(
            rego: policy("R if { sprintf(\"%s\", [input.a]) == \"x\" }"),
            error: #"policy line 2: unsupported construct "sprintf(...)": the only functions supported are count, startswith, endswith and contains"#),
        Case(
            rego: policy("default R := false", "", "policy_data := {", "  \"allowed\": [\"sh\"]", "}"),
            error: #"policy line 4: unsupported construct "policy_data := ...": rule values other than true or false are not supported"#),
        Case(
            rego: policy("max_args := 3"),
            error: #"policy line 2: unsupported construct "max_args := ...": rule values other than true or false are not supported"#),
        Case(
            rego: policy("default CreateContainerRequest := {\"allowed\": false}"),
            error: #"policy line 2: unsupported construct "default CreateContainerRequest := ...": default values other than true or false are not supported"#),
        Case(
            rego: policy("ExecProcessRequest if { allowed_exec }", "allowed_exec if { input.a == 1 }"),
            error: #"policy line 2: unsupported construct "allowed_exec": references to variables or other rules are not supported"#),
        Case(
            rego: policy("R if { input.a == 1 } else := false"),
            error: #"policy line 2: unsupported construct "else": else branches are not supported"#),
        Case(
            rego: policy("R if { input.a == 1 } { input.a == 2 }"),
            error: #"policy line 2: unsupported construct "{": several bodies in one rule are not supported: define the rule once per body"#),
        Case(
            rego: policy("R if { count(input.a) + 1 == 2 }"),
            error: #"policy line 2: unsupported construct "+": arithmetic and set operators are not supported"#),
        Case(
            rego: policy("R if { input.a == {\"b\": 1} }"),
            error: #"policy line 2: unsupported construct "{": object and set literals are not supported"#),
        Case(
            rego: policy("R if { not not input.a }"),
            error: #"policy line 2: unsupported construct "not not": double negation is not supported"#),
        Case(
            rego: policy("R if { (input.a == 1) }"),
            error: #"policy line 2: unsupported construct "(": parenthesized expressions are not supported"#),
        Case(
            rego: policy("agent.rules.R := true"),
            error: #"policy line 2: unsupported construct "agent.rules.R": rule heads with references are not supported"#),
        Case(
            rego: policy("import data.kata"),
            error: #"policy line 2: unsupported construct "import data.kata": only future.keywords and rego.v1 imports are supported"#),
        Case(
            rego: policy("import future.keywords.in as member"),
            error: #"policy line 2: unsupported construct "as": aliases are not supported"#),
        Case(
            rego: policy("R if { input.x[input.i] == 1 }"),
            error: #"policy line 2: expected a string or number index, found "input""#),
        // Malformed policies.
        Case(
            rego: "package kata\n\ndefault ExecProcessRequest := true\n",
            error: #"policy line 1: package "kata" is not supported: the policy must be package agent_policy"#),
        Case(
            rego: "# no package\ndefault ExecProcessRequest := true\n",
            error: #"policy line 2: expected "package agent_policy" before "default""#),
        Case(rego: "", error: #"policy line 1: expected "package agent_policy" before end of policy"#),
        Case(
            rego: policy("package agent_policy"),
            error: "policy line 2: a second package declaration"),
        Case(
            rego: policy("R if { input.a == \"abc }"),
            error: "policy line 2: unterminated string"),
        Case(
            rego: policy("R if { input.a == \"\\q\" }"),
            error: #"policy line 2: invalid escape "\q" in a string"#),
        Case(
            rego: policy("R if { input.a == \"\\udc00\" }"),
            error: "policy line 2: lone low surrogate in a string"),
        Case(
            rego: policy("", "R if {", "    input.a == 1", ""),
            error: "policy line 3: the rule body opened here is not closed"),
        Case(rego: policy("R if { }"), error: "policy line 2: empty rule body"),
        Case(rego: policy("R if", "{ input.a }"), error: #"policy line 2: expected a rule body after "if", found end of line"#),
        Case(rego: policy("R"), error: #"policy line 2: expected "if", "{" or ":=" after "R", found end of line"#),
        Case(
            rego: policy("default R := true", "default R := false"),
            error: "policy line 3: a second default for R (the first is on line 2)"),
        Case(
            rego: policy("R := true if { input.a == 1 }", "R := false if { input.a == 2 }"),
            error: "policy line 3: rule R is false here but true on line 2"),
        Case(rego: policy("R if { input.a == 1 @ }"), error: #"policy line 2: unexpected character "@""#),
        Case(
            rego: policy("R if { startswith(input.a) }"),
            error: "policy line 2: startswith takes 2 arguments, not 1"),
        Case(
            rego: policy("R if { input.a == 1 == 1 }"),
            error: #"policy line 2: unexpected "==" after an expression"#),
        Case(rego: policy("R if { input.a == }"), error: #"policy line 2: expected a value after "==", found "}""#),
        Case(rego: policy("R if { input. == 1 }"), error: #"policy line 2: expected a field name after ".", found "==""#),
        Case(rego: policy("\"R\" := true"), error: #"policy line 2: expected a rule, found "R""#),
        Case(rego: policy("input.a == 1"), error: #"policy line 2: expected a rule, found "input""#),
        Case(
            rego: policy("R if {", "  startswith(", "    input.a,", "    data.x)", "}"),
            error: #"policy line 5: unsupported construct "data": references to data are not supported"#),
        Case(
            rego: policy("R if { input.a == [" + String(repeating: "[", count: 200) + "] }"),
            error: "policy line 2: nesting deeper than 128"),
    ]

    @Test(arguments: cases)
    func rejected(_ c: Case) {
        #expect(throws: PolicyError.self) {
            _ = try AgentPolicy(rego: c.rego)
        }
        do {
            _ = try AgentPolicy(rego: c.rego)
        } catch {
            #expect(error.description == c.error)
        }
    }

    @Test func errorCarriesLineAndMessage() {
        do {
            _ = try AgentPolicy(rego: policy("", "", "R if { some x; x }"))
            Issue.record("parsed")
        } catch {
            #expect(error.line == 4)
            #expect(error.message == #"unsupported construct "some": variables and iteration are not supported"#)
        }
    }
}

/// Every prefix of a policy and of a JSON document either parses or throws:
/// the parsers never trap on text that ends early.
@Suite struct TruncationTests {
    @Test func policyPrefixes() {
        let text = """
            package agent_policy
            import future.keywords.if
            default ExecProcessRequest := false
            ExecProcessRequest if {
                input.process.Args[0] == "sh\\u00e9\\ud83d\\ude00"; not startswith(input.cwd, `/r`)
                count(input.process.Env) >= -1.5e2
                input.process.Args == ["sh", input.x]
            }
            R := true if input.a != null
            """
        let scalars = Array(text.unicodeScalars)
        var parsed = 0
        for end in 0...scalars.count {
            var prefix = ""
            prefix.unicodeScalars.append(contentsOf: scalars[0..<end])
            if (try? AgentPolicy(rego: prefix)) != nil { parsed += 1 }
        }
        #expect(parsed > 0)
        #expect((try? AgentPolicy(rego: text)) != nil)
    }

    @Test func jsonPrefixes() {
        let text = #"{"a":[1,-2.5e-3,true,false,null,"x\"\\\/\u00e9\ud83d\ude00"],"b":{"c":{}}}"#
        let bytes = Array(text.utf8)
        for end in 0..<bytes.count {
            #expect((try? PolicyValue(json: String(decoding: bytes[0..<end], as: UTF8.self))) == nil, "prefix of \(end) bytes")
        }
        #expect((try? PolicyValue(json: text)) != nil)
    }
}
