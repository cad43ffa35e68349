// ttrpc round-trip latency and allocations per call, side by side with
// containerd's own Go ttrpc server (containerd-shim-runc-v2) answering the same
// call, `containerd.task.v2.Task/Connect`, to the same client.
import ArgumentParser
import CAllocCounter
import Glibc
import NIOCore
import Protocols
import SwiftProtobuf
import TTRPC

nonisolated(unsafe) var logFIFO: CInt = -1

@main
struct TTRPCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttrpc-bench",
        abstract: "ttrpc round-trip latency (p50/p99) and allocations per call on a unix socket.")

    @Option(help: "Timed calls per server.")
    var calls = 10_000

    @Option(help: "Untimed calls before timing.")
    var warmup = 1_000

    @Option(help: "containerd's runc shim, the Go ttrpc server to compare with (skipped if absent).")
    var runcShim = "/usr/bin/containerd-shim-runc-v2"

    func run() async throws {
        let directory = makeDirectory()
        defer { _ = system("rm -rf '\(directory)'") }

        var service = TTRPCService(name: "containerd.task.v2.Task")
        service.addUnary("Connect") { (_: Containerd_Task_V2_ConnectRequest, _: TTRPCCallContext) in
            var response = Containerd_Task_V2_ConnectResponse()
            response.shimPid = UInt32(getpid())
            return response
        }
        let listener = try await TTRPCServer(services: [service]).listen(on: .unix(path: directory + "/swift.sock"))
        let swift = try await measure(path: directory + "/swift.sock")
        try await listener.close()

        print("ttrpc round trip, \(calls) sequential calls of containerd.task.v2.Task/Connect on a unix socket (client: this package's)")
        print(Measurement.header)
        print(swift.row(server: "Swift TTRPCServer"))
        guard access(runcShim, X_OK) == 0, let goSocket = startRuncShim(directory: directory) else {
            print("containerd-shim-runc-v2 not available at \(runcShim): no Go comparison")
            return
        }
        let go = try await measure(path: goSocket, countsAllocations: false)
        print(go.row(server: "Go containerd-shim-runc-v2"))
        await stopRuncShim(socket: goSocket)
        print("ratio Swift/Go: p50 \(fixed(swift.p50 / go.p50, 2)), p99 \(fixed(swift.p99 / go.p99, 2))")
    }

    struct Measurement {
        var p50: Double
        var p99: Double
        var mean: Double
        var allocationsPerCall: Double?
        var allocationsComplete: Bool

        static let header = "server                        p50 µs   p99 µs  mean µs  allocs/call"
        func row(server: String) -> String {
            let allocs = allocationsPerCall.map { fixed($0, 1) + (allocationsComplete ? "" : " (partial: dynamic build)") } ?? "-"
            return pad(server, 28) + pad(fixed(p50, 1), 8, left: true) + " " + pad(fixed(p99, 1), 8, left: true)
                + " " + pad(fixed(mean, 1), 8, left: true) + "  " + allocs
        }
    }

    func measure(path: String, countsAllocations: Bool = true) async throws -> Measurement {
        let client = try await TTRPCClient.connect(to: .unix(path: path))
        let request = Containerd_Task_V2_ConnectRequest.with { $0.id = "bench" }
        for _ in 0..<warmup {
            let _: Containerd_Task_V2_ConnectResponse = try await client.call(service: "containerd.task.v2.Task", method: "Connect", request: request)
        }
        var samples = [Double](repeating: 0, count: calls)
        let allocationsBefore = alloc_counter_count()
        for i in 0..<calls {
            let start = ContinuousClock.now
            let _: Containerd_Task_V2_ConnectResponse = try await client.call(service: "containerd.task.v2.Task", method: "Connect", request: request)
            let elapsed = ContinuousClock.now - start
            samples[i] = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        }
        let allocations = alloc_counter_count() - allocationsBefore
        await client.close()
        samples.sort()
        return Measurement(
            p50: samples[samples.count / 2],
            p99: samples[Int(Double(samples.count) * 0.99)],
            mean: samples.reduce(0, +) / Double(samples.count),
            allocationsPerCall: countsAllocations ? Double(allocations) / Double(calls) : nil,
            allocationsComplete: alloc_counter_is_complete() != 0)
    }

    /// Starts the runc shim's ttrpc server the way containerd does (`start` in a
    /// bundle directory) and returns its socket path.
    func startRuncShim(directory: String) -> String? {
        let bundle = directory + "/bundle"
        mkdir(bundle, 0o700)
        // `start` reads the spec's annotations to group pod containers; nothing else.
        let spec = fopen(bundle + "/config.json", "w")
        fputs("{\"ociVersion\":\"1.0.2\"}", spec)
        fclose(spec)
        // The shim daemon logs into this fifo and exits if it cannot open it;
        // containerd holds it open read-write, and so do we.
        mkfifo(bundle + "/log", 0o600)
        logFIFO = open(bundle + "/log", O_RDWR | O_NONBLOCK)
        let id = "ttrpc-bench-\(getpid())"
        let command = "cd '\(bundle)' && TTRPC_ADDRESS='\(directory)/none.ttrpc' '\(runcShim)' -namespace bench -address '\(directory)/none.sock' -publish-binary /bin/true -id \(id) start 2>&1"
        guard let pipe = popen(command, "r") else { return nil }
        var output = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), pipe) != nil {
            output += String(cString: buffer)
        }
        guard pclose(pipe) == 0 else {
            print("runc shim start failed: \(output)")
            return nil
        }
        let address = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard address.hasPrefix("unix://") else { return nil }
        return String(address.dropFirst("unix://".count))
    }

    func stopRuncShim(socket: String) async {
        if let client = try? await TTRPCClient.connect(to: .unix(path: socket)) {
            let _: Google_Protobuf_Empty? = try? await client.call(
                service: "containerd.task.v2.Task", method: "Shutdown",
                request: Containerd_Task_V2_ShutdownRequest.with { $0.now = true }, timeout: .seconds(3))
            await client.close()
        }
        unlink(socket)
        // Leave /run/containerd as it was when we created it (rmdir keeps non-empty ones).
        rmdir("/run/containerd/s")
        rmdir("/run/containerd")
        if logFIFO >= 0 { close(logFIFO) }
    }

    func makeDirectory() -> String {
        var template = Array("/tmp/ttrpc-bench-XXXXXX".utf8CString)
        return String(cString: mkdtemp(&template)!)
    }
}

/// `value` with `decimals` digits after the point (no Foundation here).
func fixed(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(abs(scaled) % Int(scale))
    guard decimals > 0 else { return String(whole) }
    return "\(whole).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
}

func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return left ? fill + text : text + fill
}

extension String {
    func trimmingCharacters(in _: Whitespace) -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
    enum Whitespace { case whitespacesAndNewlines }
}
