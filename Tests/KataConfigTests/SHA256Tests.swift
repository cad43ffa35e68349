import Digests
import Testing

@Suite struct SHA256Tests {
    /// Every padding boundary, fed whole and in uneven pieces, against the one-shot SHA-256
    /// (which `SupportTests` checks against coreutils).
    @Test(arguments: [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001])
    func matchesOneShotDigest(length: Int) {
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var whole = SHA256()
        whole.update(message)
        var pieces = SHA256()
        var offset = 0
        var piece = 1
        while offset < message.count {
            let end = min(message.count, offset + piece)
            pieces.update(Array(message[offset..<end]))
            offset = end
            piece = piece * 3 % 97 + 1
        }
        let expected = SHA2.sha256(message)
        #expect(whole.finish() == expected)
        #expect(pieces.finish() == expected)
    }

    @Test func knownVector() {
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        #expect(hasher.finish().hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
