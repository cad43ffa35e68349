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
    private let process: BackgroundProcess

    /// With `anonymous` false the registry answers 401 to every request
    /// without credentials (distribution's `silly` authentication).
    public init(anonymous: Bool = true) async throws {
        directory = try makeTemporaryDirectory("imagepull")
        storage = directory + "/storage"
        let port = try Self.freePort()
        address = "127.0.0.1:\(port)"
        let config = """
            version: 0.1
            log: {level: warn, accesslog: {disabled: true}}
            storage: {filesystem: {rootdirectory: \(storage)}}
            http: {addr: \(address)}

            """ + (anonymous ? "" : "auth: {silly: {realm: test-realm, service: test-registry}}\n")
        try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
        do {
            process = try BackgroundProcess(
                [Self.binary, "serve", directory + "/config.yml"], logPath: directory + "/registry.log",
                package: "docker-registry")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let address = address
        do {
            try await process.waitFor("the registry to listen on \(address)", timeout: 30) { Self.accepts(port: port) }
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the registry and removes its storage.
    public func stop() {
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
