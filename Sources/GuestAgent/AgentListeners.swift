import Files
import Glibc
import Logging
import NIOCore
import TTRPC

/// Where the agent serves: vsock port 1024 and the virtio-serial port named
/// `agent.channel.0` in a guest, or unix sockets on a host.
public enum AgentListeners {
    /// The virtio-serial port the host connects to (Kata's name).
    public static let serialPortName = "agent.channel.0"

    /// The device of the virtio-serial port called `name`, found by the name the
    /// host gave it (`/sys/class/virtio-ports/*/name`). Names arrive
    /// asynchronously after boot, so this polls for up to `timeout` seconds.
    public static func serialPort(named name: String, timeout: Double = 2) async -> String? {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        repeat {
            if let dir = opendir("/sys/class/virtio-ports") {
                var found: String?
                while let entry = readdir(dir) {
                    let port = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    guard !port.hasPrefix(".") else { continue }
                    let portName = (try? readTextFile("/sys/class/virtio-ports/\(port)/name"))?.split(separator: "\n").first
                    if portName.map(String.init) == name { found = "/dev/" + port }
                }
                closedir(dir)
                if let found { return found }
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
        } while ContinuousClock.now < deadline
        return nil
    }

    /// Serves ttrpc on a virtio-serial port for ever. While no host is
    /// connected a read returns EOF at once: the port is closed and opened
    /// again shortly after, which is also how a reconnecting host is picked up.
    public static func serveSerialPort(_ device: String, server: TTRPCServer, logger: Logger) async {
        var reported = false
        while !Task.isCancelled {
            let fd = open(device, O_RDWR | O_CLOEXEC | O_NOCTTY)
            if fd < 0 {
                if !reported { logger.error("cannot open \(device): \(String(cString: strerror(errno)))"); reported = true }
                try? await Task.sleep(nanoseconds: 200_000_000)
                continue
            }
            reported = false
            do {
                let channel = try await server.serve(connectedDescriptor: fd)
                try? await channel.closeFuture.get()
            } catch {
                logger.error("serving \(device): \(error)")
            }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}
