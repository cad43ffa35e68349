/// Parses a JSON array of strings (`["-o", "cache=auto"]`), the format of the
/// `virtio_fs_extra_args` annotation. Nothing else of JSON is needed here.
enum JSONStringArray {
    struct Failure: Error, Equatable {
        var reason: String
    }

    static func parse(_ text: String) throws(Failure) -> [String] {
        var chars = Array(text.unicodeScalars)[...]
        func skipBlanks() { while let c = chars.first, c == " " || c == "\t" || c == "\n" || c == "\r" { chars.removeFirst() } }
        func expect(_ c: Unicode.Scalar) throws(Failure) {
            skipBlanks()
            guard chars.first == c else { throw Failure(reason: "expected '\(c)'") }
            chars.removeFirst()
        }
        try expect("[")
        var items: [String] = []
        skipBlanks()
        if chars.first == "]" {
            chars.removeFirst()
        } else {
            while true {
                try expect("\"")
                var item = String.UnicodeScalarView()
                while true {
                    guard let c = chars.popFirst() else { throw Failure(reason: "unterminated string") }
                    if c == "\"" { break }
                    if c != "\\" {
                        guard c.value >= 0x20 else { throw Failure(reason: "control character in a string") }
                        item.append(c)
                        continue
                    }
                    guard let e = chars.popFirst() else { throw Failure(reason: "unterminated escape") }
                    switch e {
                    case "\"", "\\", "/": item.append(e)
                    case "b": item.append("\u{8}")
                    case "f": item.append("\u{C}")
                    case "n": item.append("\n")
                    case "r": item.append("\r")
                    case "t": item.append("\t")
                    case "u":
                        let hex = String(String.UnicodeScalarView(chars.prefix(4)))
                        guard hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                            throw Failure(reason: "bad \\u escape")
                        }
                        chars.removeFirst(4)
                        item.append(scalar)
                    default: throw Failure(reason: "bad escape \\\(e)")
                    }
                }
                items.append(String(item))
                skipBlanks()
                guard let next = chars.popFirst() else { throw Failure(reason: "expected ',' or ']'") }
                if next == "]" { break }
                guard next == "," else { throw Failure(reason: "expected ',' or ']'") }
            }
        }
        skipBlanks()
        guard chars.isEmpty else { throw Failure(reason: "text after the array") }
        return items
    }
}
