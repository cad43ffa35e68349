import Digests
import Testing
@testable import ImagePull

/// The client against canned raw responses.
@Suite struct HTTPClientTests {
    private let client = HTTPClient(connectTimeout: 2, ioTimeout: 2)

    private func get(_ server: CannedHTTPServer, _ target: String) throws -> (HTTPResponse, String) {
        let (response, body) = try client.get(
            HTTPLocation(host: "127.0.0.1", port: server.port, target: target), headers: [("Accept", "x/y")], limit: 1 << 20)
        return (response, String(decoding: body, as: UTF8.self))
    }

    @Test func bodiesByLengthChunksAndClose() throws {
        let server = try CannedHTTPServer([
            "/length": "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
            "/chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n",
            "/eof": "HTTP/1.0 200 OK\r\n\r\nuntil the peer closes",
        ])
        defer { server.stop() }
        let (length, lengthBody) = try get(server, "/length")
        #expect(length.status == 200 && length.reason == "OK" && lengthBody == "hello")
        #expect(length.header("CONTENT-TYPE") == "text/plain")
        #expect(try get(server, "/chunked").1 == "hello, world")
        #expect(try get(server, "/eof").1 == "until the peer closes")
    }

    @Test func redirectsAreFollowedWithinALimit() throws {
        let server = try CannedHTTPServer([
            "/first": "HTTP/1.1 302 Found\r\nLocation: /second?x=1\r\nContent-Length: 3\r\n\r\nabc",
            "/second?x=1": "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{port}/dir/third\r\n\r\n",
            "/dir/third": "HTTP/1.1 308 Permanent Redirect\r\nLocation: final\r\nContent-Length: 0\r\n\r\n",
            "/dir/final": "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone",
            "/loop": "HTTP/1.1 301 Moved Permanently\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n",
            "/tls": "HTTP/1.1 301 Moved Permanently\r\nLocation: https://example.com/x\r\nContent-Length: 0\r\n\r\n",
        ])
        defer { server.stop() }
        let (response, body) = try get(server, "/first")
        #expect(response.status == 200 && body == "done")
        #expect(response.location.target == "/dir/final")
        #expect(server.requests == [
            "GET /first HTTP/1.1", "GET /second?x=1 HTTP/1.1", "GET /dir/third HTTP/1.1", "GET /dir/final HTTP/1.1",
        ])
        #expect {
            try get(server, "/loop")
        } throws: { error in
            "\(error)" == "more than 5 redirects from http://127.0.0.1:\(server.port)/loop"
        }
        #expect {
            try get(server, "/tls")
        } throws: { error in
            "\(error)" == "redirect to https://example.com/x: HTTPS is not supported yet"
        }
    }

    @Test func errorBodyIsKeptAndExplained() throws {
        let document = #"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:00"}]}"#
        let server = try CannedHTTPServer([
            "/json": "HTTP/1.1 404 Not Found\r\nContent-Length: \(document.utf8.count)\r\n\r\n\(document)",
            "/text": "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 22\r\n\r\nupstream\r\nis down\r\n   ",
        ])
        defer { server.stop() }
        let (json, jsonBody) = try get(server, "/json")
        #expect(json.statusLine == "404 Not Found" && jsonBody.isEmpty)
        #expect(RegistryClient.explanation(json.errorBody) == " (BLOB_UNKNOWN: blob unknown to registry)")
        let (text, _) = try get(server, "/text")
        #expect(RegistryClient.explanation(text.errorBody) == " (upstream is down)")
    }

    @Test func shortBodyIsAnError() throws {
        let server = try CannedHTTPServer([
            "/short": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
            "/garbage": "SSH-2.0-OpenSSH_9.2\r\n\r\n",
        ])
        defer { server.stop() }
        #expect {
            try get(server, "/short")
        } throws: { error in
            (error as? HTTPFailure)?.kind == .interrupted && "\(error)" == "connection closed with 91 of 100 body bytes unread"
        }
        #expect {
            try get(server, "/garbage")
        } throws: { error in
            (error as? HTTPFailure)?.kind == .malformed && "\(error)" == "not an HTTP/1.x status line: SSH-2.0-OpenSSH_9.2"
        }
    }

    @Test func largeBodyStreamsInPieces() throws {
        let size = 1 << 20
        let body = String(repeating: "0123456789abcdef", count: size / 16)
        let server = try CannedHTTPServer(["/big": "HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n\(body)"])
        defer { server.stop() }
        var hasher = SHA256()
        var pieces = 0
        var largest = 0
        var total = 0
        let response = try client.get(HTTPLocation(host: "127.0.0.1", port: server.port, target: "/big"), headers: []) {
            (chunk: UnsafeRawBufferPointer) throws(HTTPFailure) in
            hasher.update(chunk)
            pieces += 1
            largest = max(largest, chunk.count)
            total += chunk.count
        }
        #expect(response.status == 200 && total == size)
        #expect(largest <= 65536 && pieces >= size / 65536)
        #expect(hasher.finish() == SHA2.sha256(Array(body.utf8)))
    }
}
