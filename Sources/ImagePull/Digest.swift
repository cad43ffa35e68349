import Digests

/// A content digest as the registry spells it: `sha256:<64 hex>`. Only
/// SHA-256 is accepted: it is what OCI images use, and what can be verified here.
struct Digest: Equatable, Sendable, CustomStringConvertible {
    /// The 64 lower-case hex digits.
    var hex: String

    var description: String { "sha256:\(hex)" }

    struct Failure: Error {}

    init(parsing text: String) throws(Failure) {
        guard text.hasPrefix("sha256:") else { throw Failure() }
        let hex = String(text.dropFirst(7))
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw Failure()
        }
        self.hex = hex
    }

    init(sha256 bytes: [UInt8]) {
        hex = bytes.hexString
    }
}
