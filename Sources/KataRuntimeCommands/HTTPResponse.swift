/// An HTTP/1.1 response read to the end of the connection: the status line,
/// the headers and the body, de-chunked when the server used
/// `Transfer-Encoding: chunked`, cut to `Content-Length` when it sent one.
public struct HTTPResponse: Sendable, Equatable {
    /// `200`.
    public var status: Int
    /// `HTTP/1.1 200 OK`.
    public var statusLine: String
    /// Header names lower-cased, in order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.statusLine == rhs.statusLine && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// The first value of header `name` (any case).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    /// Parses everything the server sent on a `Connection: close` exchange.
    public init(parsing bytes: [UInt8]) throws(HTTPResponseError) {
        guard let headerEnd = Self.find([13, 10, 13, 10], in: bytes, from: 0) else {
            throw .malformed("the response ends before its headers do (\(bytes.count) bytes)")
        }
        let head = String(decoding: bytes[0..<headerEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            throw .malformed("bad status line \"\(statusLine)\"")
        }
        status = code
        headers = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("bad header line \"\(line)\"") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmed(of: " \t")
            headers.append((name, value))
        }
        let rest = Array(bytes[(headerEnd + 4)...])
        if let encoding = headers.first(where: { $0.name == "transfer-encoding" })?.value,
           encoding.lowercased().split(separator: ",").last?.trimmed(of: " \t") == "chunked" {
            body = try Self.dechunk(rest)
        } else if let length = headers.first(where: { $0.name == "content-length" })?.value {
            guard let count = Int(length), count >= 0 else { throw .malformed("bad Content-Length \"\(length)\"") }
            guard rest.count >= count else {
                throw .malformed("the body ends after \(rest.count) of its \(count) bytes (Content-Length)")
            }
            body = Array(rest[0..<count])
        } else {
            body = rest
        }
    }

    /// Chunks are `<hex size>[;extensions]\r\n<data>\r\n`, ending with a
    /// zero-size chunk and optional trailers.
    static func dechunk(_ bytes: [UInt8]) throws(HTTPResponseError) -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = find([13, 10], in: bytes, from: index) else {
                throw .malformed("the chunked body ends inside a chunk header")
            }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self)
                .split(separator: ";", maxSplits: 1).first.map { String($0).trimmed(of: " \t") } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else {
                throw .malformed("bad chunk size \"\(sizeText)\"")
            }
            index = lineEnd + 2
            if size == 0 { return body }
            guard bytes.count - index >= size else {
                throw .malformed("the chunked body ends inside a chunk (\(bytes.count - index) of \(size) bytes)")
            }
            body += bytes[index..<(index + size)]
            index += size
            guard bytes.count - index >= 2, bytes[index] == 13, bytes[index + 1] == 10 else {
                throw .malformed("a chunk of \(size) bytes is not followed by CRLF")
            }
            index += 2
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && Array(haystack[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}

/// A response that is not valid HTTP/1.1.
public enum HTTPResponseError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let reason): return "malformed HTTP response: \(reason)"
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing scalars of `set` (scalars, so that
    /// `"\r\n"` in the set is two of them rather than one character).
    func trimmed(of set: String) -> String {
        let members = Set(set.unicodeScalars)
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, members.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, members.contains(last) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
