import Testing
@testable import KataRuntimeCommands

/// Parsing what a shim's management server sends: Content-Length, chunked, neither.
@Suite struct HTTPResponseTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func contentLength() throws {
        let response = try HTTPResponse(parsing: Self.bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"))
        #expect(response.status == 200)
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("content-type") == "text/plain")
        #expect(response.header("Content-Length") == "5")
        #expect(response.body == Self.bytes("hello"))
    }

    @Test func contentLengthCutsTrailingBytes() throws {
        let response = try HTTPResponse(parsing: Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello"))
        #expect(response.body == Self.bytes("he"))
    }

    @Test func shortBodyIsAnError() {
        #expect(throws: HTTPResponseError.malformed("the body ends after 3 of its 10 bytes (Content-Length)")) {
            try HTTPResponse(parsing: Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
        }
    }

    @Test func chunkedWithExtensionsAndTrailers() throws {
        let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n" + "1;name=value\r\n \r\n" + "A\r\n0123456789\r\n" + "0\r\nX-Trailer: yes\r\n\r\n"
        let response = try HTTPResponse(parsing: Self.bytes(wire))
        #expect(String(decoding: response.body, as: UTF8.self) == "hello 0123456789")
    }

    @Test func chunkedWinsOverContentLength() throws {
        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length.
        let wire = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        #expect(try HTTPResponse(parsing: Self.bytes(wire)).body == Self.bytes("abc"))
    }

    @Test func truncatedChunk() {
        #expect(throws: HTTPResponseError.self) {
            try HTTPResponse(parsing: Self.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\nabc"))
        }
        #expect(throws: HTTPResponseError.malformed("bad chunk size \"zz\"")) {
            try HTTPResponse(parsing: Self.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
        }
    }

    @Test func bodyUntilCloseWithoutLength() throws {
        let response = try HTTPResponse(parsing: Self.bytes("HTTP/1.0 404 Not Found\r\n\r\nno such path\n"))
        #expect(response.status == 404)
        #expect(response.body == Self.bytes("no such path\n"))
    }

    @Test func notHTTP() {
        #expect(throws: HTTPResponseError.self) { try HTTPResponse(parsing: Self.bytes("SSH-2.0-OpenSSH\r\n\r\n")) }
        #expect(throws: HTTPResponseError.self) { try HTTPResponse(parsing: Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n")) }
    }
}
