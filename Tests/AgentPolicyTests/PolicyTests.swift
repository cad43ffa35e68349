import AgentPolicy
import Testing

/// The request rules of Kata's sample policies.
let requestNames = [
    "AddARPNeighborsRequest", "AddSwapRequest", "CloseStdinRequest", "CopyFileRequest",
    "CreateContainerRequest", "CreateSandboxRequest", "DestroySandboxRequest", "ExecProcessRequest",
    "GetMetricsRequest", "GetOOMEventRequest", "GuestDetailsRequest", "ListInterfacesRequest",
    "ListRoutesRequest", "MemHotplugByProbeRequest", "OnlineCPUMemRequest", "PauseContainerRequest",
    "PullImageRequest", "ReadStreamRequest", "RemoveContainerRequest",
    "RemoveStaleVirtiofsShareMountsRequest", "ReseedRandomDevRequest", "ResumeContainerRequest",
    "SetGuestDateTimeRequest", "SetPolicyRequest", "SignalProcessRequest", "StartContainerRequest",
    "StartTracingRequest", "StatsContainerRequest", "StopTracingRequest", "TtyWinResizeRequest",
    "UpdateContainerRequest", "UpdateEphemeralMountsRequest", "UpdateInterfaceRequest",
    "UpdateRoutesRequest", "WaitProcessRequest", "WriteStreamRequest",
]

/// A policy in the form of Kata's samples: a header, then one default per request.
func samplePolicy(denying denied: Set<String> = []) -> String {
    var text = "# Sample policy\n#\n\npackage agent_policy\n\n"
    for name in requestNames where !denied.contains(name) {
        text += "default \(name) := true\n"
    }
    text += "\n"
    for name in requestNames where denied.contains(name) {
        text += "default \(name) := false\n"
    }
    return text
}

/// `package agent_policy` on line 1, then `lines` from line 2.
func policy(_ lines: String...) -> String {
    (["package agent_policy"] + lines).joined(separator: "\n") + "\n"
}

func json(_ text: String) -> PolicyValue {
    do {
        return try PolicyValue(json: text)
    } catch {
        Issue.record("bad test JSON \(text): \(error)")
        return .null
    }
}

let execInput = json(
    """
    {"container_id":"c1","exec_id":"e1","string_user":null,
     "process":{"Terminal":false,"User":{"UID":0,"GID":0,"AdditionalGids":[]},
                "Args":["sh","-c","echo hi"],"Env":["PATH=/usr/bin:/bin"],"Cwd":"/"}}
    """)

@Suite struct SamplePolicyTests {
    @Test func allowAllAllowsEveryRequest() throws {
        let p = try AgentPolicy(rego: samplePolicy())
        for name in requestNames {
            #expect(p.decide(name, input: execInput) == .allowed, "\(name)")
            #expect(p.evaluate(name, input: .object([:])) == true)
        }
        #expect(p.ruleNames == requestNames.sorted())
        #expect(!p.allowsFailingRequests)
    }

    @Test func allowAllExceptExecProcessDeniesOnlyExec() throws {
        let p = try AgentPolicy(rego: samplePolicy(denying: ["ExecProcessRequest"]))
        #expect(p.decide("ExecProcessRequest", input: execInput) == .denied(message: "ExecProcessRequest is blocked by policy"))
        #expect(!p.isAllowed("ExecProcessRequest", input: execInput))
        #expect(p.evaluate("ExecProcessRequest", input: execInput) == false)
        for name in requestNames where name != "ExecProcessRequest" {
            #expect(p.decide(name, input: execInput) == .allowed, "\(name)")
        }
    }

    @Test func requestWithoutRuleOrDefaultIsDenied() throws {
        let p = try AgentPolicy(rego: policy("default CreateContainerRequest := true"))
        #expect(p.evaluate("ExecProcessRequest", input: execInput) == nil)
        #expect(p.decide("ExecProcessRequest", input: execInput) == .denied(message: "ExecProcessRequest is blocked by policy"))
        #expect(p.decide("CreateContainerRequest", input: execInput) == .allowed)
    }

    @Test func emptyPolicyDeniesEverything() throws {
        let p = try AgentPolicy(rego: "package agent_policy")
        #expect(p.ruleNames.isEmpty)
        #expect(p.decide("ReadStreamRequest", input: .object([:])) == .denied(message: "ReadStreamRequest is blocked by policy"))
    }

    @Test func allowAllBeforeSetPolicy() {
        let p = AgentPolicy.allowAll
        for name in requestNames + ["NoSuchRequest"] {
            #expect(p.decide(name, input: .null) == .allowed)
        }
        #expect(!p.allowsFailingRequests)
    }

    @Test func importsCommentsAndEqualsSignsAreAccepted() throws {
        let p = try AgentPolicy(
            rego: """
                # leading comment

                package agent_policy   # trailing comment
                import future.keywords.in
                import future.keywords.if
                import future.keywords.every
                import future.keywords
                import rego.v1

                default ExecProcessRequest = false # comment
                default WaitProcessRequest = true
                ExecProcessRequest = true {
                    # a comment line inside a body
                    input.container_id == "c1"   # and after an expression
                }
                """)
        #expect(p.isAllowed("ExecProcessRequest", input: execInput))
        #expect(p.isAllowed("WaitProcessRequest", input: execInput))
        #expect(!p.isAllowed("ExecProcessRequest", input: json(#"{"container_id":"c2"}"#)))
    }
}

@Suite struct RuleBodyTests {
    @Test func hostnameDecidesCreateContainer() throws {
        let p = try AgentPolicy(
            rego: policy(
                "default CreateContainerRequest := false",
                "CreateContainerRequest if {",
                "    input.OCI.Hostname == \"allowed-host\"",
                "}"))
        #expect(p.isAllowed("CreateContainerRequest", input: json(#"{"OCI":{"Hostname":"allowed-host"}}"#)))
        #expect(
            p.decide("CreateContainerRequest", input: json(#"{"OCI":{"Hostname":"other"}}"#))
                == .denied(message: "CreateContainerRequest is blocked by policy"))
    }

    @Test func ruleHeadForms() throws {
        let forms = [
            "R if { input.a == 1 }",
            "R { input.a == 1 }",
            "R := true if { input.a == 1 }",
            "R = true { input.a == 1 }",
            "R if input.a == 1",
            "R := true if input.a == 1",
        ]
        for form in forms {
            let p = try AgentPolicy(rego: policy("default R := false", form))
            #expect(p.evaluate("R", input: json(#"{"a":1}"#)) == true, "\(form)")
            #expect(p.evaluate("R", input: json(#"{"a":2}"#)) == false, "\(form)")
        }
    }

    @Test func constantRulesAndFalseValuedBodies() throws {
        let p = try AgentPolicy(
            rego: policy(
                "ExecProcessRequest := true",
                "WaitProcessRequest := false",
                "default SignalProcessRequest := true",
                "SignalProcessRequest := false if { input.signal == 9 }"))
        #expect(p.evaluate("ExecProcessRequest", input: .object([:])) == true)
        #expect(p.evaluate("WaitProcessRequest", input: .object([:])) == false)
        #expect(p.isAllowed("SignalProcessRequest", input: json(#"{"signal":15}"#)))
        #expect(!p.isAllowed("SignalProcessRequest", input: json(#"{"signal":9}"#)))
    }

    @Test func twoBodiesAreOr() throws {
        let p = try AgentPolicy(
            rego: policy(
                "default ExecProcessRequest := false",
                "ExecProcessRequest if {",
                "    input.process.Args[0] == \"sh\"",
                "}",
                "ExecProcessRequest if {",
                "    input.process.Args[0] == \"ls\"",
                "}"))
        #expect(p.isAllowed("ExecProcessRequest", input: json(#"{"process":{"Args":["sh"]}}"#)))
        #expect(p.isAllowed("ExecProcessRequest", input: json(#"{"process":{"Args":["ls","-l"]}}"#)))
        #expect(!p.isAllowed("ExecProcessRequest", input: json(#"{"process":{"Args":["rm"]}}"#)))
    }

    @Test func linesOfOneBodyAreAnd() throws {
        let p = try AgentPolicy(
            rego: policy(
                "default ExecProcessRequest := false",
                "ExecProcessRequest if {",
                "    input.container_id == \"c1\"",
                "",
                "    input.process.Terminal == false",
                "}",
                "default WaitProcessRequest := false",
                "WaitProcessRequest if { input.container_id == \"c1\"; input.exec_id == \"e1\" }"))
        #expect(p.isAllowed("ExecProcessRequest", input: execInput))
        #expect(!p.isAllowed("ExecProcessRequest", input: json(#"{"container_id":"c1","process":{"Terminal":true}}"#)))
        #expect(!p.isAllowed("ExecProcessRequest", input: json(#"{"container_id":"c2","process":{"Terminal":false}}"#)))
        #expect(p.isAllowed("WaitProcessRequest", input: execInput))
        #expect(!p.isAllowed("WaitProcessRequest", input: json(#"{"container_id":"c1","exec_id":"e2"}"#)))
    }

    @Test func arrayIndexes() throws {
        let p = try AgentPolicy(
            rego: policy(
                "R if {",
                "    input.OCI.Process.Args[0] == \"/pause\"",
                "    input[\"OCI\"][\"Process\"].Args[1] == \"-v\"",
                "}"))
        #expect(p.evaluate("R", input: json(#"{"OCI":{"Process":{"Args":["/pause","-v"]}}}"#)) == true)
        // Out of range, wrong container type and missing array: undefined.
        #expect(p.evaluate("R", input: json(#"{"OCI":{"Process":{"Args":["/pause"]}}}"#)) == nil)
        #expect(p.evaluate("R", input: json(#"{"OCI":{"Process":{"Args":{"0":"/pause","1":"-v"}}}}"#)) == nil)
        #expect(p.evaluate("R", input: json(#"{"OCI":{}}"#)) == nil)
    }

    @Test func notHoldsWhenFalseOrUndefined() throws {
        let p = try AgentPolicy(
            rego: policy(
                "default ExecProcessRequest := false",
                "ExecProcessRequest if {",
                "    not input.process.Terminal",
                "    not input.process.Args[0] == \"bash\"",
                "}"))
        #expect(p.isAllowed("ExecProcessRequest", input: execInput))
        #expect(p.isAllowed("ExecProcessRequest", input: json(#"{"process":{}}"#)))
        #expect(!p.isAllowed("ExecProcessRequest", input: json(#"{"process":{"Terminal":true}}"#)))
        #expect(!p.isAllowed("ExecProcessRequest", input: json(#"{"process":{"Args":["bash"]}}"#)))
    }

    @Test func numericComparisons() throws {
        let p = try AgentPolicy(
            rego: policy(
                "R if { input.n > 1; input.n >= 2; input.n < 10; input.n <= 9.5; input.n != 5; input.n == 8.0 }",
                "Neg if { input.n > -1.5e1 }"))
        #expect(p.evaluate("R", input: json(#"{"n":8}"#)) == true)
        #expect(p.evaluate("R", input: json(#"{"n":5}"#)) == nil)
        #expect(p.evaluate("R", input: json(#"{"n":9.75}"#)) == nil)
        #expect(p.evaluate("Neg", input: json(#"{"n":-14}"#)) == true)
        #expect(p.evaluate("Neg", input: json(#"{"n":-16}"#)) == nil)
        // A 64-bit integer comes as a string in protobuf JSON; it is not a number.
        #expect(p.evaluate("R", input: json(#"{"n":"8"}"#)) == nil)
    }

    @Test func orderingAcrossTypesFollowsRego() throws {
        let p = try AgentPolicy(rego: policy("Less if { input.x < 5 }", "Str if { input.s < \"b\" }"))
        // null < booleans < numbers < strings < arrays < objects
        #expect(p.evaluate("Less", input: json(#"{"x":null}"#)) == true)
        #expect(p.evaluate("Less", input: json(#"{"x":true}"#)) == true)
        #expect(p.evaluate("Less", input: json(#"{"x":"1"}"#)) == nil)
        #expect(p.evaluate("Str", input: json(#"{"s":"abc"}"#)) == true)
        #expect(p.evaluate("Str", input: json(#"{"s":"ba"}"#)) == nil)
    }

    @Test func missingFieldsAreUndefinedSoTheDefaultApplies() throws {
        let p = try AgentPolicy(
            rego: policy(
                "default CreateContainerRequest := false",
                "CreateContainerRequest if { input.OCI.Hostname != \"bad\" }",
                "Undecided if { input.OCI.Hostname != \"bad\" }"))
        #expect(p.isAllowed("CreateContainerRequest", input: json(#"{"OCI":{"Hostname":"good"}}"#)))
        // Missing, not "different": the comparison is undefined.
        #expect(!p.isAllowed("CreateContainerRequest", input: json(#"{"OCI":{}}"#)))
        #expect(!p.isAllowed("CreateContainerRequest", input: json(#"{"OCI":"x"}"#)))
        #expect(!p.isAllowed("CreateContainerRequest", input: .null))
        #expect(p.evaluate("Undecided", input: json(#"{}"#)) == nil)
        #expect(p.decide("Undecided", input: json(#"{}"#)) == .denied(message: "Undecided is blocked by policy"))
    }

    @Test func bareTermsHoldWhenDefinedAndNotFalse() throws {
        let p = try AgentPolicy(rego: policy("R if { input.x }"))
        #expect(p.evaluate("R", input: json(#"{"x":true}"#)) == true)
        #expect(p.evaluate("R", input: json(#"{"x":0}"#)) == true)
        #expect(p.evaluate("R", input: json(#"{"x":null}"#)) == true)
        #expect(p.evaluate("R", input: json(#"{"x":false}"#)) == nil)
        #expect(p.evaluate("R", input: json(#"{}"#)) == nil)
    }

    @Test func builtins() throws {
        let p = try AgentPolicy(
            rego: policy(
                "Count if { count(input.OCI.Process.Args) == 3 }",
                "Starts if { startswith(input.path, \"/run/kata\") }",
                "Ends if { endswith(input.path, `.sock`) }",
                "Contains if { contains(input.path, \"kata\") }",
                "NotStarts if { not startswith(input.path, \"/etc\") }",
                "Compared if { startswith(input.path, \"/run\") == true }"))
        #expect(p.evaluate("Count", input: json(#"{"OCI":{"Process":{"Args":["a","b","c"]}}}"#)) == true)
        #expect(p.evaluate("Count", input: json(#"{"OCI":{"Process":{"Args":["a","b"]}}}"#)) == nil)
        #expect(p.evaluate("Count", input: json(#"{"OCI":{"Process":{"Args":{"a":1,"b":2,"c":3}}}}"#)) == true)
        // Code points, not bytes or grapheme clusters.
        #expect(p.evaluate("Count", input: json(#"{"OCI":{"Process":{"Args":"e\u0301é"}}}"#)) == true)
        #expect(p.evaluate("Count", input: json(#"{"OCI":{"Process":{"Args":3}}}"#)) == nil)
        #expect(p.evaluate("Count", input: json(#"{}"#)) == nil)

        let socket = json(#"{"path":"/run/kata/agent.sock"}"#)
        for rule in ["Starts", "Ends", "Contains", "NotStarts", "Compared"] {
            #expect(p.evaluate(rule, input: socket) == true, "\(rule)")
        }
        let other = json(#"{"path":"/etc/passwd"}"#)
        for rule in ["Starts", "Ends", "Contains", "NotStarts", "Compared"] {
            #expect(p.evaluate(rule, input: other) == nil, "\(rule)")
        }
        // Wrong type: undefined, which `not` turns into a success.
        #expect(p.evaluate("Starts", input: json(#"{"path":1}"#)) == nil)
        #expect(p.evaluate("NotStarts", input: json(#"{"path":1}"#)) == true)
    }

    @Test func stringsCompareByBytes() throws {
        let p = try AgentPolicy(
            rego: policy(
                "Eq if { input.s == \"\\u00e9\" }",
                "Starts if { startswith(input.s, \"e\") }"))
        let precomposed = PolicyValue.object(["s": .string("\u{E9}")])
        let decomposed = PolicyValue.object(["s": .string("e\u{301}")])
        #expect(p.evaluate("Eq", input: precomposed) == true)
        #expect(p.evaluate("Eq", input: decomposed) == nil)
        #expect(p.evaluate("Starts", input: decomposed) == true)
        #expect(p.evaluate("Starts", input: precomposed) == nil)
    }

    @Test func comparingTwoReferencesAndArrays() throws {
        let p = try AgentPolicy(
            rego: policy(
                "Same if { input.container_id == input.exec_id }",
                "Args if { input.process.Args == [\"sh\", \"-c\", input.cmd] }",
                "Multi if {",
                "    startswith(",
                "        input.cmd,",
                "        \"echo\"",
                "    )",
                "    input.process.Args == [",
                "        \"sh\",",
                "        \"-c\",",
                "        \"echo hi\",",
                "    ]",
                "}"))
        #expect(p.evaluate("Same", input: json(#"{"container_id":"x","exec_id":"x"}"#)) == true)
        #expect(p.evaluate("Same", input: execInput) == nil)
        #expect(p.evaluate("Same", input: json(#"{"container_id":"x"}"#)) == nil)
        let input = json(#"{"cmd":"echo hi","process":{"Args":["sh","-c","echo hi"]}}"#)
        #expect(p.evaluate("Args", input: input) == true)
        #expect(p.evaluate("Multi", input: input) == true)
        #expect(p.evaluate("Args", input: json(#"{"process":{"Args":["sh","-c","echo hi"]}}"#)) == nil)
    }

    @Test func deepEqualityOfObjects() throws {
        let p = try AgentPolicy(rego: policy("R if { input.a == input.b }"))
        #expect(p.evaluate("R", input: json(#"{"a":{"x":[1,{"y":null}],"z":"s"},"b":{"z":"s","x":[1.0,{"y":null}]}}"#)) == true)
        #expect(p.evaluate("R", input: json(#"{"a":{"x":1},"b":{"x":1,"y":2}}"#)) == nil)
        #expect(p.evaluate("R", input: json(#"{"a":[1],"b":[true]}"#)) == nil)
    }
}

@Suite struct AllowRequestsFailingPolicyTests {
    @Test func letsDeniedRequestsThrough() throws {
        let p = try AgentPolicy(
            rego: samplePolicy(denying: ["ExecProcessRequest"]) + "default AllowRequestsFailingPolicy := true\n")
        #expect(p.allowsFailingRequests)
        #expect(p.evaluate("ExecProcessRequest", input: execInput) == false)
        #expect(p.decide("ExecProcessRequest", input: execInput) == .allowed)
        // Undefined too, as in the Kata agent.
        #expect(p.decide("NoSuchRequest", input: execInput) == .allowed)
    }

    @Test func falseOrInputDependentValueDoesNot() throws {
        for rule in [
            "default AllowRequestsFailingPolicy := false",
            // Evaluated once with `{}` as input.
            "AllowRequestsFailingPolicy if { input.debug == true }",
            "AllowRequestsFailingPolicy if { not input.debug }\nAllowRequestsFailingPolicy if { input.other }",
        ] {
            let p = try AgentPolicy(rego: policy("default ExecProcessRequest := false", rule))
            let expectAllowed = rule.contains("not input.debug")
            #expect(p.allowsFailingRequests == expectAllowed, "\(rule)")
            #expect(p.isAllowed("ExecProcessRequest", input: json(#"{"debug":true}"#)) == expectAllowed, "\(rule)")
        }
    }
}
