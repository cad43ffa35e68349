import Foundation
import Testing
import TestSupport
@testable import KataRuntimeCommands

/// A stand-in for the shim's management server: Python's http.server on a
/// unix socket, answering `/metrics` with a fixed Prometheus body, chunked or
/// with Content-Length, or with an error status.
final class FakeManagementServer: Sendable {
    /// The body `/metrics` returns: long enough to take several reads.
    static let metrics: String = (0..<3000).map { "kata_test_metric{index=\"\($0)\"} \($0)\n" }.joined()

    static let script = #"""
        import http.server, socketserver, sys
        path, mode, body_file = sys.argv[1], sys.argv[2], sys.argv[3]
        BODY = open(body_file, "rb").read()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                seen = self.headers.get("Connection", "")
                if self.path != "/metrics" or mode == "error":
                    body = b"agent unreachable\n"
                    self.send_response(500 if mode == "error" else 404)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("X-Seen-Connection", seen)
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("X-Seen-Connection", seen)
                if mode == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(BODY), 7000):
                        part = BODY[start:start + 7000]
                        self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(BODY)))
                    self.end_headers()
                    self.wfile.write(BODY)

        socketserver.UnixStreamServer(path, Handler).serve_forever()
        """#

    let directory: String
    let socket: String
    let process: BackgroundProcess

    /// Serves on `<root>/run/vc/sbs/<sandboxID>/shim-monitor.sock`, where the shim would.
    init(root: String, sandboxID: String, mode: String) async throws {
        directory = root
        let stateDirectory = root + "/run/vc/sbs/" + sandboxID
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        socket = stateDirectory + "/shim-monitor.sock"
        try Self.script.write(toFile: root + "/server.py", atomically: true, encoding: .utf8)
        try Self.metrics.write(toFile: root + "/metrics.txt", atomically: true, encoding: .utf8)
        process = try BackgroundProcess(["python3", root + "/server.py", socket, mode, root + "/metrics.txt"],
                                        logPath: root + "/server.log", package: "python3")
        let socket = self.socket
        let process = self.process
        try await process.waitFor("the management socket \(socket)") {
            FileManager.default.fileExists(atPath: socket) || !process.isRunning
        }
        if !process.isRunning { throw CommandError(description: "the test server exited: \(process.log)") }
    }

    /// SIGKILL: the server keeps no state, and python3 started from the test
    /// runner may inherit an ignored SIGTERM.
    func stop() { process.stop(signal: SIGKILL) }
}

@Suite struct ManagementClientTests {
    static let sandboxID = "0123456789abcdef"

    /// Runs `body` with a server in a fresh directory, then stops it and removes the directory.
    static func withServer(mode: String, _ body: (FakeManagementServer) async throws -> Void) async throws {
        let root = try makeTemporaryDirectory("krc-mgmt")
        defer { removeDirectory(root) }
        let server = try await FakeManagementServer(root: root, sandboxID: sandboxID, mode: mode)
        defer { server.stop() }
        try await body(server)
    }

    @Test(arguments: ["length", "chunked"])
    func getMetrics(mode: String) async throws {
        try await Self.withServer(mode: mode) { server in
            let response = try ManagementClient(socketPath: server.socket).get(path: "/metrics")
            #expect(response.status == 200)
            #expect(response.header("x-seen-connection") == "close")
            #expect(response.header("transfer-encoding") == (mode == "chunked" ? "chunked" : nil))
            #expect(String(decoding: response.body, as: UTF8.self) == FakeManagementServer.metrics)
        }
    }

    @Test func otherStatusesAreReturned() async throws {
        try await Self.withServer(mode: "length") { server in
            let response = try ManagementClient(socketPath: server.socket).get(path: "/nothing")
            #expect(response.status == 404)
            #expect(response.body == Array("agent unreachable\n".utf8))
        }
    }

    @Test func missingSocket() {
        #expect(throws: ManagementClientError.noSocket(path: "/tmp/krc-absent/shim-monitor.sock")) {
            try ManagementClient(socketPath: "/tmp/krc-absent/shim-monitor.sock").get(path: "/metrics")
        }
    }

    @Test func nobodyListening() throws {
        // A socket file whose server is gone: connection refused.
        let root = try makeTemporaryDirectory("krc-mgmt")
        defer { removeDirectory(root) }
        let path = root + "/stale.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(fd)
        #expect(throws: ManagementClientError.connect(path: path, reason: "Connection refused")) {
            try ManagementClient(socketPath: path).get(path: "/metrics")
        }
    }

    // MARK: kata-runtime metrics

    @Test(arguments: ["length", "chunked"])
    func metricsCommandPrintsTheBody(mode: String) async throws {
        try await Self.withServer(mode: mode) { server in
            let result = try await NIOOffPool.run {
                try kataRuntime(["metrics", Self.sandboxID, "--state-root", server.directory])
            }
            #expect(result.status == 0, "\(result.output.prefix(2000))")
            #expect(result.output == FakeManagementServer.metrics)
        }
    }

    @Test func metricsCommandFailsOnAnErrorStatus() async throws {
        try await Self.withServer(mode: "error") { server in
            let result = try await NIOOffPool.run {
                try kataRuntime(["metrics", Self.sandboxID, "--state-root", server.directory])
            }
            #expect(result.status == 1)
            #expect(result.output == "kata-runtime: sandbox \(Self.sandboxID): GET /metrics on \(server.socket) answered HTTP/1.1 500 Internal Server Error: agent unreachable\n")
        }
    }

    @Test func metricsCommandWithoutAShim() throws {
        let root = try makeTemporaryDirectory("krc-mgmt")
        defer { removeDirectory(root) }
        let result = try kataRuntime(["metrics", "nosuchpod", "--state-root", root])
        #expect(result.status == 1)
        #expect(result.output == "kata-runtime: no shim serves sandbox nosuchpod: \(root)/run/vc/sbs/nosuchpod/shim-monitor.sock does not exist (is the pod running on this node?)\n")
    }
}
