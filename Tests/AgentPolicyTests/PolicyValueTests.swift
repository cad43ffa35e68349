import AgentPolicy
import Testing

@Suite struct PolicyValueJSONTests {
    @Test func parsesProtobufJSON() throws {
        let v = try PolicyValue(
            json: """
                 {"container_id":"c1","OCI":{"Version":"1.1.0","Process":{"Terminal":false,
                  "Args":["/bin/sh","-c","echo \\"hi\\""],"Env":[],"ConsoleSize":null,
                  "User":{"UID":1000,"GID":0}},"Hostname":"h","Annotations":{"io.kubernetes.cri.sandbox-id":"abc"}},
                  "storages":[],"sandbox_pidns":true,"shared_mounts":[{"name":"x","src_ctr":"y"}],
                  "stdin_port":"18446744073709551615","ratio":-1.25E+2}\t\r

                """)
        #expect(v["container_id"] == .string("c1"))
        #expect(v["OCI"]?["Process"]?["Args"]?[2] == .string("echo \"hi\""))
        #expect(v["OCI"]?["Process"]?["ConsoleSize"] == .null)
        #expect(v["OCI"]?["Process"]?["User"]?["UID"] == .number(1000))
        #expect(v["OCI"]?["Annotations"]?["io.kubernetes.cri.sandbox-id"] == .string("abc"))
        #expect(v["storages"] == .array([]))
        #expect(v["sandbox_pidns"] == .bool(true))
        #expect(v["stdin_port"] == .string("18446744073709551615"))
        #expect(v["ratio"] == .number(-125))
        #expect(v["shared_mounts"]?[0]?["src_ctr"] == .string("y"))
        #expect(v["missing"] == nil)
        #expect(v["shared_mounts"]?[1] == nil)
        #expect(v[0] == nil)
    }

    @Test(arguments: [
        #"null"#, #"true"#, #"false"#, #"0"#, #"-1"#, #"1.5"#, #"1e-07"#, #"1e+100"#, #""""#,
        #"[]"#, #"{}"#, #"[1,"a",null,[true,{}]]"#, #"{"a":{"b":[1,2,{"c":"d"}]},"b":false}"#,
        #""\"\\\b\f\n\r\t\u0001\u001f""#, #""é😀/""#, #"9007199254740992"#, #"0.1"#,
    ])
    func canonicalTextRoundTrips(_ text: String) throws {
        let v = try PolicyValue(json: text)
        #expect(v.jsonText == text)
        #expect(try PolicyValue(json: v.jsonText) == v)
    }

    @Test func writesSortedCompactJSON() throws {
        let v = try PolicyValue(json: #" { "b" : [ 1.0 , 2e3, -0 ] , "a" : "\/x" , "é": 1, "z": 0.5 } "#)
        #expect(v.jsonText == #"{"a":"/x","b":[1,2000,0],"z":0.5,"é":1}"#)
        #expect(try PolicyValue(json: v.jsonText) == v)
    }

    @Test func escapes() throws {
        let v = try PolicyValue(json: #""\"\\\/\b\f\n\r\t\u0041\u00e9\u00E9\u4e2d\u0000x""#)
        #expect(v == .string("\"\\/\u{08}\u{0C}\n\r\tA\u{E9}\u{E9}\u{4E2D}\u{0}x"))
    }

    @Test func surrogatePairs() throws {
        #expect(try PolicyValue(json: #""\ud83d\ude00""#) == .string("😀"))
        #expect(try PolicyValue(json: #""a\uD834\uDD1Eb""#) == .string("a\u{1D11E}b"))
        #expect(try PolicyValue(json: #"{"\ud83d\ude00":1}"#)["😀"] == .number(1))
    }

    @Test func numbers() throws {
        #expect(try PolicyValue(json: "0") == .number(0))
        #expect(try PolicyValue(json: "-0") == .number(0))
        #expect(try PolicyValue(json: "12.5e-1") == .number(1.25))
        #expect(try PolicyValue(json: "1E2") == .number(100))
        #expect(try PolicyValue(json: "1e+2") == .number(100))
        #expect(try PolicyValue(json: "4294967295") == .number(4_294_967_295))
        #expect(try PolicyValue(json: "1.7976931348623157e308") == .number(.greatestFiniteMagnitude))
        #expect(try PolicyValue(json: "5e-324") == .number(.leastNonzeroMagnitude))
    }

    @Test func duplicateKeysLastWins() throws {
        #expect(try PolicyValue(json: #"{"a":1,"a":2}"#) == .object(["a": .number(2)]))
    }

    @Test func stringsAreComparedByBytes() throws {
        #expect(PolicyValue.string("\u{E9}") != .string("e\u{301}"))
        #expect(PolicyValue.object(["\u{E9}": .null]) != .object(["e\u{301}": .null]))
        #expect(PolicyValue.object(["\u{E9}": .null])["e\u{301}"] == nil)
        #expect(PolicyValue.number(1) == .number(1.0))
        #expect(PolicyValue.number(1) != .string("1"))
        #expect(PolicyValue.array([.null]) != .array([.null, .null]))
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        var json: String
        var offset: Int
        var message: String
        var testDescription: String { json }
    }

    @Test(arguments: [
        Malformed(json: "", offset: 0, message: "unexpected end of input, expected a value"),
        Malformed(json: "   ", offset: 3, message: "unexpected end of input, expected a value"),
        Malformed(json: #"{"a":1,}"#, offset: 7, message: "unexpected '}', expected a string key"),
        Malformed(json: #"{a:1}"#, offset: 1, message: "unexpected 'a', expected a string key"),
        Malformed(json: #"{"a" 1}"#, offset: 5, message: "expected ':' after an object key"),
        Malformed(json: #"{"a":1"#, offset: 6, message: "unexpected end of input in an object"),
        Malformed(json: #"[1 2]"#, offset: 3, message: "unexpected '2', expected ',' or ']'"),
        Malformed(json: #"[1,]"#, offset: 3, message: "unexpected ']', expected a value"),
        Malformed(json: #"[1"#, offset: 2, message: "unexpected end of input in an array"),
        Malformed(json: "01", offset: 1, message: "leading zero in a number"),
        Malformed(json: "-", offset: 1, message: "expected a digit in a number"),
        Malformed(json: "+1", offset: 0, message: "unexpected '+', expected a value"),
        Malformed(json: "1.", offset: 2, message: "expected a digit after the decimal point"),
        Malformed(json: ".5", offset: 0, message: "unexpected '.', expected a value"),
        Malformed(json: "1e", offset: 2, message: "expected a digit in the exponent"),
        Malformed(json: "1e999", offset: 0, message: "number out of range"),
        Malformed(json: "NaN", offset: 0, message: "unexpected 'N', expected a value"),
        Malformed(json: "tru", offset: 0, message: "invalid literal, expected true"),
        Malformed(json: "nul1", offset: 0, message: "invalid literal, expected null"),
        Malformed(json: "[true false]", offset: 6, message: "unexpected 'f', expected ',' or ']'"),
        Malformed(json: #""abc"#, offset: 4, message: "unterminated string"),
        Malformed(json: "\"a\tb\"", offset: 2, message: "unescaped control character in a string"),
        Malformed(json: #""\x""#, offset: 1, message: #"invalid escape '\x'"#),
        Malformed(json: #""\u12G4""#, offset: 5, message: #"invalid hex digit 'G' in a \u escape"#),
        Malformed(json: #""\u12"#, offset: 5, message: #"unterminated \u escape"#),
        Malformed(json: #""x\ud83d""#, offset: 2, message: "high surrogate not followed by a low surrogate"),
        Malformed(json: #""\ud83d\u0041""#, offset: 1, message: "high surrogate not followed by a low surrogate"),
        Malformed(json: #""\ude00""#, offset: 1, message: "lone low surrogate"),
        Malformed(json: #"{} {}"#, offset: 3, message: "unexpected '{' after the JSON value"),
        Malformed(json: "1\u{0}", offset: 1, message: "unexpected byte 0x00 after the JSON value"),
        Malformed(json: "\u{FEFF}1", offset: 0, message: "unexpected byte 0xEF, expected a value"),
        Malformed(
            json: "{\"\u{E9}\":1,\"e\u{301}\":2}", offset: 8,
            message: "object keys differ only in Unicode normalization"),
        Malformed(
            json: String(repeating: "[", count: 129) + String(repeating: "]", count: 129), offset: 128,
            message: "nesting deeper than 128"),
    ])
    func malformed(_ m: Malformed) {
        do {
            let v = try PolicyValue(json: m.json)
            Issue.record("parsed as \(v)")
        } catch {
            #expect(error == PolicyValue.JSONError(offset: m.offset, message: m.message))
            #expect(error.description == "JSON at byte \(m.offset): \(m.message)")
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let text = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(try PolicyValue(json: text).jsonText == text)
    }
}
