import Glibc

/// A small blocking HTTP/1.1 client: one request per connection
/// (`Connection: close`), bodies by Content-Length, chunked, or until the
/// peer closes, redirects followed a bounded number of times.
struct HTTPClient {
    /// Seconds to wait for a TCP connection.
    var connectTimeout: Double
    /// Seconds to wait for each read or write to make progress.
    var ioTimeout: Double
    /// How many 301/302/303/307/308 answers to follow.
    var redirectLimit = 5
    /// How much of an error body to keep for messages.
    static let errorBodyLimit = 4096

    /// GETs `location`, handing a successful body to `sink` piece by piece.
    func get(
        _ location: HTTPLocation, headers: [(String, String)],
        sink: (UnsafeRawBufferPointer) throws(HTTPFailure) -> Void
    ) throws(HTTPFailure) -> HTTPResponse {
        var current = location
        var redirects = 0
        while true {
            let response = try exchange(current, headers: headers, sink: sink)
            guard [301, 302, 303, 307, 308].contains(response.status), let next = response.header("location") else {
                return response
            }
            redirects += 1
            guard redirects <= redirectLimit else {
                throw HTTPFailure(kind: .malformed, description: "more than \(redirectLimit) redirects from \(location)")
            }
            current = try current.resolving(next)
        }
    }

    /// GETs `location` with the whole successful body in memory, at most `limit` bytes.
    func get(_ location: HTTPLocation, headers: [(String, String)], limit: Int) throws(HTTPFailure) -> (HTTPResponse, [UInt8]) {
        var body: [UInt8] = []
        let response = try get(location, headers: headers) { (chunk: UnsafeRawBufferPointer) throws(HTTPFailure) in
            guard body.count + chunk.count <= limit else {
                throw HTTPFailure(kind: .malformed, description: "body larger than \(limit) bytes")
            }
            body.append(contentsOf: chunk)
        }
        return (response, body)
    }

    private func exchange(
        _ location: HTTPLocation, headers: [(String, String)],
        sink: (UnsafeRawBufferPointer) throws(HTTPFailure) -> Void
    ) throws(HTTPFailure) -> HTTPResponse {
        guard let address = SocketAddress(numericHost: location.host, port: location.port) else {
            throw HTTPFailure(kind: .unreachable, description: "\(location.host) is not a numeric address")
        }
        let connection = try TCPConnection(to: address, connectTimeout: connectTimeout, ioTimeout: ioTimeout)
        var request = "GET \(location.target) HTTP/1.1\r\nHost: \(location.authority)\r\nConnection: close\r\n"
        request += "User-Agent: kata-agent-image-pull\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try connection.write(Array(request.utf8))

        guard let statusLine = try connection.readLine() else {
            throw HTTPFailure(kind: .interrupted, description: "connection closed before a response")
        }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw HTTPFailure(kind: .malformed, description: "not an HTTP/1.x status line: \(statusLine.prefix(80))")
        }
        var response = HTTPResponse(
            status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: [], location: location)
        while true {
            guard let line = try connection.readLine() else {
                throw HTTPFailure(kind: .interrupted, description: "connection closed in the response headers")
            }
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else {
                throw HTTPFailure(kind: .malformed, description: "bad header line: \(line.prefix(80))")
            }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces
            response.headers.append((name, value))
            if response.headers.count > 200 { throw HTTPFailure(kind: .malformed, description: "more than 200 headers") }
        }

        // A redirect's or error's body only explains; keep its start.
        var kept: [UInt8] = []
        let success = response.isSuccess
        let deliver = { (chunk: UnsafeRawBufferPointer) throws(HTTPFailure) in
            if success {
                try sink(chunk)
            } else if kept.count < Self.errorBodyLimit {
                kept.append(contentsOf: chunk.prefix(Self.errorBodyLimit - kept.count))
            }
        }
        if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            try readChunked(connection, deliver)
        } else if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else {
                throw HTTPFailure(kind: .malformed, description: "bad Content-Length: \(lengthText)")
            }
            try readExactly(length, connection, deliver)
        } else if status != 204 && status != 304 {
            while try connection.read(upTo: 65536, deliver) > 0 {}
        }
        response.errorBody = kept
        return response
    }

    private func readExactly(
        _ count: Int, _ connection: TCPConnection, _ deliver: (UnsafeRawBufferPointer) throws(HTTPFailure) -> Void
    ) throws(HTTPFailure) {
        var remaining = count
        while remaining > 0 {
            let n = try connection.read(upTo: min(remaining, 65536), deliver)
            guard n > 0 else {
                throw HTTPFailure(kind: .interrupted, description: "connection closed with \(remaining) of \(count) body bytes unread")
            }
            remaining -= n
        }
    }

    private func readChunked(
        _ connection: TCPConnection, _ deliver: (UnsafeRawBufferPointer) throws(HTTPFailure) -> Void
    ) throws(HTTPFailure) {
        while true {
            guard let sizeLine = try connection.readLine() else {
                throw HTTPFailure(kind: .interrupted, description: "connection closed in a chunked body")
            }
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingSpaces } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else {
                throw HTTPFailure(kind: .malformed, description: "bad chunk size: \(sizeLine.prefix(40))")
            }
            if size == 0 {
                // Trailers, up to the empty line.
                while let line = try connection.readLine(), !line.isEmpty {}
                return
            }
            try readExactly(size, connection, deliver)
            guard try connection.readLine() == "" else {
                throw HTTPFailure(kind: .malformed, description: "chunk not followed by CRLF")
            }
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
