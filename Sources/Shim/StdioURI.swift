/// Where one stdio string of a Create or Exec request points, parsed as
/// containerd's runc shim and Kata's Go shim parse it (Go's `url.Parse`):
///
/// - `""`: nothing; the stream is not copied.
/// - `/path/to/fifo` (no scheme) or `fifo://PATH`: a FIFO containerd reads or writes.
/// - `file:///ABSOLUTE/PATH`: a log file that stdout and stderr are appended to.
/// - `binary:///ABSOLUTE/PATH?KEY=VALUE&...`: a logging binary fed through
///   pipes (containerd's binary-log protocol).
public enum StdioURI: Sendable, Equatable {
    case none
    case fifo(path: String)
    case file(path: String)
    /// `arguments` follow argv[0] (the path): each query key, then its first
    /// value (empty when the key has none), as containerd's `NewBinaryCmd` builds them.
    case binary(path: String, arguments: [String])

    /// The request field a string came from, named in errors.
    public enum Field: String, Sendable {
        case stdin, stdout, stderr
    }

    /// A string that is none of the accepted forms.
    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public var field: Field
        public var value: String
        public var reason: String

        public var description: String {
            let forms = field == .stdin
                ? "a FIFO path or fifo://PATH"
                : "a FIFO path, fifo://PATH, file:///ABSOLUTE/PATH or binary:///ABSOLUTE/PATH?KEY=VALUE&..."
            return "invalid \(field.rawValue) \"\(value)\": \(reason); accepted forms: \(forms)"
        }
    }

    /// Whether this names a log destination for both output streams (`file://`, `binary://`).
    public var isLog: Bool {
        switch self {
        case .file, .binary: true
        case .none, .fifo: false
        }
    }

    /// Parses `value`, naming `field` in the error.
    public init(parsing value: String, field: Field) throws(ParseError) {
        func fail(_ reason: String) -> ParseError { ParseError(field: field, value: value, reason: reason) }
        if value.isEmpty {
            self = .none
            return
        }
        // Go's url.Parse refuses control characters anywhere.
        if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw fail("control character")
        }
        guard let scheme = try Self.scheme(of: value, fail: fail) else {
            self = .fifo(path: value)
            return
        }
        let rest = String(value.utf8.dropFirst(scheme.utf8.count + 1))!
        switch scheme.lowercased() {
        case "fifo":
            let path = rest.hasPrefix("//") ? String(rest.dropFirst(2)) : rest
            guard !path.isEmpty else { throw fail("no FIFO path") }
            self = .fifo(path: path)
        case "file":
            let (path, _) = try Self.pathAndQuery(rest, fail: fail)
            self = .file(path: path)
        case "binary":
            let (path, query) = try Self.pathAndQuery(rest, fail: fail)
            self = .binary(path: path, arguments: Self.arguments(fromQuery: query))
        default:
            throw fail("unknown scheme \"\(scheme)\"")
        }
    }

    /// The scheme as Go's `getScheme` finds it: letters, then letters, digits,
    /// `+`, `-` or `.`, up to a colon; nil when the string is a plain path.
    private static func scheme(of value: String, fail: (String) -> ParseError) throws(ParseError) -> String? {
        for (index, byte) in value.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                continue
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
                if index == 0 { return nil }
            case UInt8(ascii: ":"):
                if index == 0 { throw fail("missing scheme") }
                return String(value.utf8.prefix(index))!
            default:
                return nil
            }
        }
        return nil
    }

    /// The absolute, unescaped path and the raw query of what follows `scheme:`.
    private static func pathAndQuery(_ rest: String, fail: (String) -> ParseError) throws(ParseError) -> (String, Substring) {
        var remainder = Substring(rest)
        if let hash = remainder.firstIndex(of: "#") { remainder = remainder[..<hash] }
        var query: Substring = ""
        if let mark = remainder.firstIndex(of: "?") {
            query = remainder[remainder.index(after: mark)...]
            remainder = remainder[..<mark]
        }
        if remainder.hasPrefix("//") {
            let authority = remainder.dropFirst(2).prefix { $0 != "/" }
            // A host would be silently dropped by the Go shims: refuse it instead.
            guard authority.isEmpty else { throw fail("a host (\"\(authority)\") where an absolute path belongs") }
            remainder = remainder.dropFirst(2)
        }
        guard remainder.hasPrefix("/") else { throw fail("not an absolute path") }
        guard remainder != "/" else { throw fail("no file path") }
        guard let path = unescape(remainder, plusIsSpace: false), !path.utf8.contains(0) else {
            throw fail("invalid %-escape in the path")
        }
        return (path, query)
    }

    /// Go's `url.ParseQuery` then containerd's loop: key, first value; pairs
    /// that do not unescape are skipped, as `Query()` skips them.
    private static func arguments(fromQuery query: Substring) -> [String] {
        var order: [String] = []
        var values: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            // Go 1.17 and later reject semicolons in a query pair.
            if pair.contains(";") { continue }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = unescape(parts[0], plusIsSpace: true),
                  let value = parts.count > 1 ? unescape(parts[1], plusIsSpace: true) : ""
            else { continue }
            if values[key] == nil {
                order.append(key)
                values[key] = value
            }
        }
        return order.flatMap { [$0, values[$0]!] }
    }

    /// Percent-decoding; nil for a malformed escape.
    static func unescape(_ text: Substring, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while let byte = input.popFirst() {
            switch byte {
            case UInt8(ascii: "%"):
                guard input.count >= 2, let high = hex(input.popFirst()!), let low = hex(input.popFirst()!) else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
