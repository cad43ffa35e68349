/// One annotation's value and the parsers for it; every error names the
/// annotation and says what was wrong.
struct AnnotationValue {
    /// The full annotation key.
    let key: String
    let text: String

    func failure(_ message: String) -> AnnotationError {
        AnnotationError(annotation: key, message: "annotation \(key): \(message)")
    }

    /// Go's `strconv.ParseBool`: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.
    func bool() throws(AnnotationError) -> Bool {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default:
            throw failure("\(TOMLNode.quoted(text)) is not a boolean: use true or false (Go's 1, t, T, TRUE, True, 0, f, F, FALSE, False also work)")
        }
    }

    /// A base-10 unsigned integer as Go's `strconv.ParseUint(s, 10, 64)`
    /// reads it (digits only), at most `max`.
    func unsigned(_ what: String, max: UInt64 = .max) throws(AnnotationError) -> UInt64 {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = UInt64(text)
        else {
            throw failure("\(TOMLNode.quoted(text)) is not an unsigned integer (\(what))")
        }
        guard value <= max else {
            throw failure("\(value) is too large: at most \(max) (\(what))")
        }
        return value
    }

    /// A finite, non-negative decimal number.
    func number(_ what: String) throws(AnnotationError) -> Double {
        guard let value = Double(text), value.isFinite, value >= 0,
              text.utf8.allSatisfy({ "0123456789.eE+-".utf8.contains($0) })
        else {
            throw failure("\(TOMLNode.quoted(text)) is not a non-negative number (\(what))")
        }
        return value
    }

    func absolutePath() throws(AnnotationError) -> String {
        guard text.hasPrefix("/") else {
            throw failure("\(TOMLNode.quoted(text)) is not an absolute path")
        }
        return text
    }

    func choice(_ allowed: [String]) throws(AnnotationError) -> String {
        guard allowed.contains(text) else {
            throw failure("\(TOMLNode.quoted(text)) is not one of " + allowed.map { TOMLNode.quoted($0) }.joined(separator: ", "))
        }
        return text
    }

    /// An absolute path that matches one of the globs of `listKey` in
    /// `[hypervisor.qemu]`: Kata's guard against running arbitrary host
    /// binaries from a pod annotation.
    func allowedPath(_ patterns: [String], listKey: String, file: String) throws(AnnotationError) -> String {
        let path = try absolutePath()
        guard GlobPattern.matches(path, anyOf: patterns) else {
            let listed = patterns.isEmpty ? "is empty" : "is " + TOMLNode.render(patterns.map { .string($0) })
            throw failure("\(TOMLNode.quoted(path)) is not allowed: \(listKey) in [hypervisor.qemu] of \(file) \(listed); add a pattern matching it there")
        }
        return path
    }
}
