import Testing
@testable import ImagePull

@Suite struct JSONParserTests {
    @Test func manifestShapedDocument() throws {
        let text = #"{"schemaVersion": 2, "layers": [{"size": 1234, "digest": "sha256:ab"}], "x": [true, false, null, -1.5e2],"#
            + #" "s": "a\"b\\c\/d\n\u00e9\ud83d\ude00"}"#
        let json = try JSONParser.parse(Array(text.utf8))
        #expect(json["schemaVersion"]?.integer == 2)
        #expect(json["layers"]?.array?.first?["size"]?.integer == 1234)
        #expect(json["layers"]?.array?.first?["digest"]?.string == "sha256:ab")
        #expect(json["x"] == .array([.bool(true), .bool(false), .null, .number(-150)]))
        #expect(json["s"]?.string == "a\"b\\c/d\né😀")
        #expect(json["missing"] == nil)
    }

    @Test(arguments: [
        ("", 0, "unexpected end"),
        ("{\"a\" 1}", 5, "expected ':'"),
        ("[1, 2", 5, "unexpected end in an array"),
        ("{\"a\": tru}", 6, "expected true"),
        ("\"tab\there\"", 4, "control character in a string"),
        ("{} x", 3, "data after the document"),
    ])
    func errorsSayWhere(text: String, offset: Int, reason: String) {
        #expect {
            try JSONParser.parse(Array(text.utf8))
        } throws: { error in
            "\(error)" == "invalid JSON at byte \(offset): \(reason)"
        }
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }
}
