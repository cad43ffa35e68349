import Foundation
import Glibc

/// Debian's docker-registry (the CNCF distribution registry) on a free
/// loopback port with its storage in a temporary directory, plus the
/// Python pusher that builds the test images. Stopped by its pid.
public final class RegistryServer: @unchecked Sendable {
    public static let binary = "/usr/bin/docker-registry"
    public static var isInstalled: Bool { access(binary, X_OK) == 0 }
    public static let pusher = packageRoot + "/hack/registry-push.py"

    public let directory: String
    public let storage: String
    /// `127.0.0.1:<port>`.
    public let address: String
    private var process: BackgroundProcess!

    /// A socat forwarder from `address` into the namespace, when there is one.
    private var forwarder: BackgroundProcess?
    /// The registry's port inside its network namespace.
    public static let namespacePort = 5000

    /// With `anonymous` false the registry answers 401 to every request
    /// without credentials (distribution's `silly` authentication).
    /// - Parameter namespace: run the registry inside this network namespace
    ///   (a name under /run/netns) on port 5000 of all its addresses, as a
    ///   registry a pod reaches over its network; the host then reaches it at
    ///   `address` through a socat forwarder on a loopback port.
    public init(anonymous: Bool = true, namespace: String? = nil) async throws {
        directory = try makeTemporaryDirectory("imagepull")
        storage = directory + "/storage"
        let port = try Self.freePort()
        address = "127.0.0.1:\(port)"
        let listen = namespace == nil ? address : "0.0.0.0:\(Self.namespacePort)"
        let config = """
            version: 0.1
            log: {level: warn, accesslog: {disabled: true}}
            storage: {filesystem: {rootdirectory: \(storage)}}
            http: {addr: "\(listen)"}

            """ + (anonymous ? "" : "auth: {silly: {realm: test-realm, service: test-registry}}\n")
        try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
        let serve = [Self.binary, "serve", directory + "/config.yml"]
        do {
            // `ip netns exec` execs the registry: the pid stays the registry's.
            process = try BackgroundProcess(
                namespace.map { ["ip", "netns", "exec", $0] + serve } ?? serve, logPath: directory + "/registry.log",
                package: "docker-registry")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let address = address
        do {
            if let namespace {
                forwarder = try BackgroundProcess(
                    ["socat", "TCP-LISTEN:\(port),bind=127.0.0.1,fork,reuseaddr",
                     "EXEC:nsenter --net=/run/netns/\(namespace) socat STDIO TCP\\:127.0.0.1\\:\(Self.namespacePort)"],
                    logPath: directory + "/forwarder.log", package: "socat")
                try await process.waitFor("the registry in \(namespace) to answer through \(address)", timeout: 30) {
                    Self.answersV2(address)
                }
            } else {
                try await process.waitFor("the registry to listen on \(address)", timeout: 30) { Self.accepts(port: port) }
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Whether GET /v2/ at `address` gets an HTTP answer.
    private static func answersV2(_ address: String) -> Bool {
        let probe = "import urllib.request, urllib.error\ntry:\n  urllib.request.urlopen('http://\(address)/v2/', timeout=2)\nexcept urllib.error.HTTPError:\n  pass\n"
        return (try? run(["python3", "-c", probe], timeout: 10))?.succeeded ?? false
    }

    /// Stops the registry and removes its storage.
    public func stop() {
        forwarder?.stop(signal: SIGKILL, grace: 1)
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs a pusher scenario (see hack/registry-push.py) against this registry; its printed digest.
    @discardableResult
    public func push(_ scenario: String, _ name: String, _ tag: String, _ extra: [String] = []) throws -> String {
        let text = try output(of: ["python3", Self.pusher, scenario, address, name, tag] + extra, timeout: 120)
        return text.split(separator: "\n").last.map(String.init) ?? ""
    }

    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw CommandError(description: "no free loopback port: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// Runs `body` with a fresh registry, stopping it afterwards whatever happens.
public func withRegistry(anonymous: Bool = true, _ body: (RegistryServer) async throws -> Void) async throws {
    let registry = try await RegistryServer(anonymous: anonymous)
    defer { registry.stop() }
    try await body(registry)
}
