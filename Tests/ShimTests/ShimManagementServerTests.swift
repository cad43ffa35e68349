import Agent
import Foundation
import Glibc
import Logging
import NIOConcurrencyHelpers
@testable import Shim
import Testing
import TestSupport

/// Figures made up for the server: fixed host processes and an agent that
/// answers, fails or hangs as the test says.
private struct FakeSource: ManagementSource {
    enum Agent: Sendable { case answers(String), fails, hangs }
    var agent: Agent
    var agentURL = "vsock://3:1024"
    let agentCalls = NIOLockedValueBox(0)

    func hostMetrics() async -> PrometheusText {
        var text = PrometheusText()
        ProcessFigures(descriptors: 11, threads: 5, status: ["vmrss": 3 << 20], stat: ["utime": 4, "stime": 2])
            .append(to: &text, prefix: "kata_shim", subject: "Kata containerd shim v2")
        ProcessFigures(descriptors: 40, threads: 9, status: ["vmrss": 200 << 20], stat: ["utime": 90, "stime": 30],
                       networkDevices: ["tap0_kata": ["recv_bytes": 1500]])
            .append(to: &text, prefix: "kata_hypervisor", subject: "Hypervisor")
        return text
    }

    func agentMetrics() async throws -> String {
        agentCalls.withLockedValue { $0 += 1 }
        switch agent {
        case let .answers(text): return text
        case .fails: throw CommandError(description: "agent GetMetrics failed: agent gone")
        case .hangs:
            try await Task.sleep(for: .seconds(60))
            return ""
        }
    }
}

/// What a blocking client read from the socket until the server closed it.
private struct RawResponse {
    var text: String
    var statusLine: String { text.components(separatedBy: "\r\n").first ?? "" }
    var body: String { text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? "" }
    func header(_ name: String) -> String? {
        let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
        for line in head.components(separatedBy: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

/// Connects to a unix socket, writes `request`, reads to EOF (10 s at most), off the cooperative pool.
private func exchange(_ path: String, _ request: String) async throws -> RawResponse {
    try await NIOOffPool.run {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommandError(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw CommandError(description: "connect \(path): errno \(errno)") }
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw CommandError(description: "write: errno \(errno)") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { break }
            guard count > 0 else { throw CommandError(description: "read: errno \(errno) after \(received.count) bytes") }
            received += buffer[0..<count]
        }
        return RawResponse(text: String(decoding: received, as: UTF8.self))
    }
}

/// A socket file nobody listens on, as a killed shim leaves it.
private func leaveStaleSocket(at path: String) throws {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: path.utf8.prefix(raw.count - 1)) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else { throw CommandError(description: "bind \(path): errno \(errno)") }
}

private func get(_ path: String, _ target: String, method: String = "GET") async throws -> RawResponse {
    try await exchange(path, "\(method) \(target) HTTP/1.1\r\nHost: shim\r\nUser-Agent: test\r\n\r\n")
}

/// A server on a socket in a fresh directory; stopped and the directory removed afterwards.
private func withServer(_ source: FakeSource, agentTimeout: Duration = .seconds(3), idleTimeout: Int64 = 30,
                        _ body: (String, ShimManagementServer) async throws -> Void) async throws {
    let directory = try makeTemporaryDirectory("shim-monitor")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let socketPath = directory + "/shim-monitor.sock"
    let server = try await ShimManagementServer.start(socketPath: socketPath, source: source, agentTimeout: agentTimeout,
                                                      idleTimeout: .seconds(idleTimeout), logger: Logger(label: "test"))
    do {
        try await body(socketPath, server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

private let agentText = """
    # HELP kata_agent_containers Containers in the sandbox.
    # TYPE kata_agent_containers gauge
    kata_agent_containers 2
    # HELP kata_agent_rpc_calls_total Agent RPCs received, by method.
    # TYPE kata_agent_rpc_calls_total counter
    kata_agent_rpc_calls_total{method="CreateContainer"} 2
    kata_agent_rpc_calls_total{method="Say \\"hi\\""} 1

    """

@Suite(.serialized) struct ShimManagementServerTests {
    @Test func metricsCarryShimHypervisorAndAgentFigures() async throws {
        try await withServer(FakeSource(agent: .answers(agentText))) { socket, _ in
            let response = try await get(socket, "/metrics")
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.header("Content-Length") == String(response.body.utf8.count))
            let metrics = try Exposition(parsing: response.body)
            #expect(metrics.value("kata_shim_fds") == 11)
            #expect(metrics.value("kata_shim_proc_status", ["item": "vmrss"]) == Double(3 << 20))
            #expect(metrics.value("kata_hypervisor_threads") == 9)
            #expect(metrics.value("kata_hypervisor_proc_stat", ["item": "utime"]) == 90)
            #expect(metrics.value("kata_hypervisor_netdev", ["interface": "tap0_kata", "item": "recv_bytes"]) == 1500)
            #expect(metrics.value("kata_shim_agent_metrics_errors_total") == 0)
            // The agent's lines as the agent wrote them.
            #expect(response.body.hasSuffix(agentText))
            #expect(metrics.value("kata_agent_containers") == 2)
            #expect(metrics.value("kata_agent_rpc_calls_total", ["method": "Say \"hi\""]) == 1)
            for sample in metrics.samples {
                #expect(["kata_shim_", "kata_hypervisor_", "kata_agent_"].contains { sample.name.hasPrefix($0) }, "\(sample.name)")
            }
        }
    }

    @Test func anAgentWithoutALineFeedAtTheEndStillGivesValidText() async throws {
        try await withServer(FakeSource(agent: .answers("# HELP kata_agent_up x\n# TYPE kata_agent_up gauge\nkata_agent_up 1"))) { socket, _ in
            let metrics = try Exposition(parsing: try await get(socket, "/metrics").body)
            #expect(metrics.value("kata_agent_up") == 1)
        }
    }

    @Test func aFailingAgentLeavesTheHostFiguresAndCountsTheFailure() async throws {
        try await withServer(FakeSource(agent: .fails)) { socket, _ in
            for attempt in 1...2 {
                let response = try await get(socket, "/metrics")
                #expect(response.statusLine == "HTTP/1.1 200 OK")
                let metrics = try Exposition(parsing: response.body)
                #expect(metrics.value("kata_shim_threads") == 5)
                #expect(metrics.value("kata_hypervisor_fds") == 40)
                #expect(metrics.value("kata_shim_agent_metrics_errors_total") == Double(attempt))
                #expect(!metrics.samples.contains { $0.name.hasPrefix("kata_agent_") })
            }
        }
    }

    @Test func aSilentAgentIsNotWaitedForBeyondTheTimeout() async throws {
        let source = FakeSource(agent: .hangs)
        try await withServer(source, agentTimeout: .milliseconds(300)) { socket, _ in
            let started = ContinuousClock.now
            let response = try await get(socket, "/metrics")
            let waited = ContinuousClock.now - started
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(waited >= .milliseconds(300) && waited < .seconds(5), "\(waited)")
            let metrics = try Exposition(parsing: response.body)
            #expect(metrics.value("kata_shim_agent_metrics_errors_total") == 1)
            #expect(metrics.value("kata_shim_fds") == 11)
            #expect(source.agentCalls.withLockedValue { $0 } == 1)
        }
    }

    @Test func agentURLIsTheAgentsAddress() async throws {
        try await withServer(FakeSource(agent: .fails, agentURL: "unix:///run/vc/vm/pod/agent.sock")) { socket, _ in
            let response = try await get(socket, "/agent-url")
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.body == "unix:///run/vc/vm/pod/agent.sock")
        }
    }

    @Test func unknownPathsAre404AndOtherMethods405() async throws {
        let source = FakeSource(agent: .answers(agentText))
        try await withServer(source) { socket, _ in
            let missing = try await get(socket, "/debug/pprof/")
            #expect(missing.statusLine == "HTTP/1.1 404 Not Found")
            #expect(missing.body.split(separator: "\n").count == 1 && missing.body.hasSuffix("\n"))
            let post = try await get(socket, "/metrics", method: "POST")
            #expect(post.statusLine == "HTTP/1.1 405 Method Not Allowed")
            #expect(post.header("Allow") == "GET")
            #expect(post.body.split(separator: "\n").count == 1)
            // Neither asked the agent.
            #expect(source.agentCalls.withLockedValue { $0 } == 0)
            #expect(try await get(socket, "/metrics?name[]=kata_shim_fds").statusLine == "HTTP/1.1 200 OK")
        }
    }

    @Test func aGarbageRequestClosesOnlyItsOwnConnection() async throws {
        try await withServer(FakeSource(agent: .answers(agentText))) { socket, _ in
            let garbage = try await exchange(socket, "\u{1}\u{2}\u{3} not http at all\r\n\r\n")
            #expect(garbage.statusLine.hasPrefix("HTTP/1.1 400"), "\(garbage.text)")
            let good = try await get(socket, "/agent-url")
            #expect(good.body == "vsock://3:1024")
        }
    }

    @Test func aConnectionThatSendsNothingIsClosed() async throws {
        try await withServer(FakeSource(agent: .fails), idleTimeout: 1) { socket, _ in
            let started = ContinuousClock.now
            let response = try await exchange(socket, "")
            #expect(response.text.isEmpty)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func theSocketIsPrivateAndRemovedAtStop() async throws {
        let directory = try makeTemporaryDirectory("shim-monitor")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socketPath = directory + "/shim-monitor.sock"
        // A stale socket file from a crashed shim is replaced.
        try leaveStaleSocket(at: socketPath)
        let server = try await ShimManagementServer.start(socketPath: socketPath, source: FakeSource(agent: .fails), logger: Logger(label: "test"))
        var info = stat()
        #expect(lstat(socketPath, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try await get(socketPath, "/agent-url").body == "vsock://3:1024")
        await server.stop()
        #expect(access(socketPath, F_OK) != 0)
        await #expect(throws: CommandError.self) { _ = try await get(socketPath, "/agent-url") }
        await server.stop()
    }

    /// The shim's own source: real /proc figures (this process stands in for
    /// QEMU) and an agent that is not there.
    @Test func theSandboxSourceReadsProcAndSurvivesAMissingAgent() async throws {
        let directory = try makeTemporaryDirectory("shim-monitor")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let agent = AgentClient(endpoint: .unix(path: directory + "/no-agent.sock"))
        let source = SandboxManagementSource(agent: agent, vmPID: getpid())
        let server = try await ShimManagementServer.start(socketPath: directory + "/shim-monitor.sock", source: source,
                                                          agentTimeout: .seconds(2), logger: Logger(label: "test"))
        let response = try await get(directory + "/shim-monitor.sock", "/metrics")
        await server.stop()
        await agent.close()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        let metrics = try Exposition(parsing: response.body)
        for prefix in ["kata_shim", "kata_hypervisor"] {
            #expect(metrics.value("\(prefix)_fds") ?? 0 > 2)
            #expect(metrics.value("\(prefix)_threads") ?? 0 > 0)
            #expect(metrics.value("\(prefix)_proc_status", ["item": "vmrss"]) ?? 0 > Double(1 << 20))
            #expect(metrics.value("\(prefix)_proc_stat", ["item": "utime"]) != nil)
            #expect(metrics.help["\(prefix)_proc_status"] != nil && metrics.types["\(prefix)_proc_status"] == "gauge")
        }
        #expect(metrics.value("kata_shim_agent_metrics_errors_total") == 1)
    }
}
