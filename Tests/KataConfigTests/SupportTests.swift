import Foundation
import Testing
import Digests
@testable import KataConfig

/// The small codecs under initdata and annotations, against independent tools.
@Suite struct SupportTests {
    /// Lengths around the padding boundaries of both block sizes.
    static let lengths = [0, 1, 3, 55, 56, 63, 64, 65, 111, 112, 119, 127, 128, 129, 1000, 70000]

    @Test(arguments: lengths)
    func sha2MatchesCoreutils(_ length: Int) throws {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let hex = { (d: [UInt8]) in d.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA2.sha256(bytes)) == (try Tool.digest("sha256", Data(bytes))))
        #expect(hex(SHA2.sha384(bytes)) == (try Tool.digest("sha384", Data(bytes))))
        #expect(hex(SHA2.sha512(bytes)) == (try Tool.digest("sha512", Data(bytes))))
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 100])
    func base64MatchesFoundation(_ length: Int) throws {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 200) }
        let expected = Data(bytes).base64EncodedString()
        #expect(Base64.encode(bytes) == expected)
        #expect(try Base64.decode(expected) == bytes)
    }

    @Test func base64RefusesWhatGoRefuses() throws {
        #expect(throws: Base64.DecodeError.badPadding) { try Base64.decode("YQ") }
        #expect(throws: Base64.DecodeError.badPadding) { try Base64.decode("YQ=") }
        #expect(throws: Base64.DecodeError.badPadding) { try Base64.decode("Y===") }
        #expect(throws: Base64.DecodeError.badPadding) { try Base64.decode("YQ==YQ==") }
        #expect(throws: Base64.DecodeError.invalidCharacter(offset: 2)) { try Base64.decode("YQ-_") }
        #expect(try Base64.decode("YW\nJj\r\n") == Array("abc".utf8))
    }

    @Test func jsonStringArray() throws {
        #expect(try JSONStringArray.parse(#" [ "a", "b\"c", "\u00e9\n" ] "#) == ["a", "b\"c", "é\n"])
        #expect(try JSONStringArray.parse("[]") == [])
        #expect(throws: JSONStringArray.Failure(reason: "expected ',' or ']'")) { try JSONStringArray.parse(#"["a" "b"]"#) }
        #expect(throws: JSONStringArray.Failure(reason: "expected '\"'")) { try JSONStringArray.parse("[1]") }
        #expect(throws: JSONStringArray.Failure(reason: "text after the array")) { try JSONStringArray.parse(#"["a"] x"#) }
    }

    @Test func globs() {
        #expect(GlobPattern.matches("/opt/kata/bin/qemu-system-x86_64", anyOf: ["/opt/kata/bin/qemu-system-*"]))
        #expect(!GlobPattern.matches("/opt/kata/bin/x/qemu-system-x86_64", anyOf: ["/opt/kata/bin/*"]))
        #expect(GlobPattern.matches("", anyOf: ["/dev/urandom", ""]))
        #expect(!GlobPattern.matches("/dev/zero", anyOf: []))
    }
}
