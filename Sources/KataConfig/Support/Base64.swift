/// Standard base64 (RFC 4648 §4, with `=` padding), as Go's
/// `base64.StdEncoding` reads and writes it. Line breaks in the input are
/// skipped, as Go's streaming decoder skips them.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(index) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Why a text is not standard base64.
    enum DecodeError: Error, Equatable {
        /// A byte outside the alphabet, at this offset of the text.
        case invalidCharacter(offset: Int)
        /// The length is not a multiple of 4 or the padding is wrong.
        case badPadding
    }

    static func decode(_ text: String) throws(DecodeError) -> [UInt8] {
        var symbols: [UInt8] = []
        var padding = 0
        for (offset, byte) in text.utf8.enumerated() {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { continue }
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, values[Int(byte)] != 0xFF else {
                throw padding == 0 ? .invalidCharacter(offset: offset) : .badPadding
            }
            symbols.append(values[Int(byte)])
        }
        guard (symbols.count + padding) % 4 == 0, padding <= 2, symbols.count % 4 != 1,
              padding == (4 - symbols.count % 4) % 4
        else { throw .badPadding }
        var out: [UInt8] = []
        out.reserveCapacity(symbols.count * 3 / 4)
        var i = 0
        while i < symbols.count {
            let chunk = symbols[i..<min(i + 4, symbols.count)]
            var n: UInt32 = 0
            for (k, s) in chunk.enumerated() { n |= UInt32(s) << UInt32(18 - 6 * k) }
            out.append(UInt8(n >> 16 & 0xFF))
            if chunk.count > 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if chunk.count > 3 { out.append(UInt8(n & 0xFF)) }
            i += 4
        }
        return out
    }
}
