import GuestAgent
import Testing

/// The agent's reader for initdata documents: exactly the TOML that
/// genpolicy and Kata's tools write, and a line-numbered error for the rest.
@Suite struct InitDataTOMLTests {
    @Test func readsGenpolicysLayout() throws {
        let text = #"""
            # written by genpolicy
            version = "0.1.0"   # the format's version
            algorithm = 'sha384'

            [data]
            "policy.rego" = '''
            package agent_policy
            # it's a "quoted" word, a \backslash\ and \n kept as written
            default ExecProcessRequest := false
            '''
            aa_toml = "x"
            'cdh.toml' = """
            [kbc]
            name = "cc_kbc"\tend \u00e9 \"q\" \\ \
                 joined"""
            """#
        let document = try InitDataTOML.parse(text)
        #expect(document.fields == ["version": "0.1.0", "algorithm": "sha384"])
        #expect(document.data["policy.rego"] == #"""
            package agent_policy
            # it's a "quoted" word, a \backslash\ and \n kept as written
            default ExecProcessRequest := false

            """#)
        #expect(document.data["aa_toml"] == "x")
        #expect(document.data["cdh.toml"] == "[kbc]\nname = \"cc_kbc\"\tend \u{e9} \"q\" \\ joined")
    }

    @Test func quotesNextToTheClosingDelimiterBelongToTheContent() throws {
        let document = try InitDataTOML.parse("[data]\na = '''it's ''quoted'''''\nb = \"\"\"say \"hi\"\"\"\"\nc = ''''''\n")
        #expect(document.data == ["a": "it's ''quoted''", "b": "say \"hi\"", "c": ""])
    }

    @Test func acceptsCRLFAndAnEmptyDocument() throws {
        #expect(try InitDataTOML.parse("") == InitDataTOML())
        #expect(try InitDataTOML.parse("version = \"0.1.0\"\r\n[data]\r\nk = 'v'\r\n")
                == InitDataTOML(fields: ["version": "0.1.0"], data: ["k": "v"]))
    }

    /// Each bad document, the line named and a word of the reason.
    @Test(arguments: [
        ("version = 0.1\n", 1, "not a string"),
        ("version = \"0.1.0\"\nalgorithm = [\"sha256\"]\n", 2, "not a string"),
        ("version = \"0.1.0\"\n\n[other]\n", 3, "[other] is not part of initdata"),
        ("[data]\n[data]\n", 2, "appears twice"),
        ("[data]\nk = 'a'\nk = 'b'\n", 3, "appears twice"),
        ("[[data]]\n", 1, "arrays of tables"),
        ("[data]\n\"policy.rego\" = '''\npackage agent_policy\n", 2, "never closed"),
        ("[data]\nk = \"\"\"\nabc\n", 2, "never closed"),
        ("version = \"0.1.0\" trailing\n", 1, "after the value"),
        ("version = \"unterminated\n", 1, "not closed"),
        ("data.policy = 'x'\n", 1, "dotted keys"),
        ("version \"0.1.0\"\n", 1, "expected ="),
        ("\n\nk = \"bad \\q escape\"\n", 3, "unknown escape"),
        ("k = \"\\u12\"\n", 1, "hexadecimal"),
        ("k =\n", 1, "has no value"),
        ("= 'x'\n", 1, "expected a key"),
    ] as [(String, Int, String)])
    func refusesWithTheLine(text: String, line: Int, reason: String) {
        #expect {
            _ = try InitDataTOML.parse(text)
        } throws: { error in
            guard let error = error as? InitDataTOML.ParseError else { return false }
            return error.line == line && error.reason.contains(reason) && error.description.hasPrefix("line \(line): ")
        }
    }
}
