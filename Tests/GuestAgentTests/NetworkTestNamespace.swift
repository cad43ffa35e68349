import Foundation
import TestSupport

/// A network namespace of the test's own (`ip netns add kshim-net-RANDOM`),
/// where the test creates veth pairs and runs NetworkManager. Nothing touches
/// the host's namespace. Needs root and iproute2.
final class NetworkTestNamespace {
    let name: String
    var path: String { "/run/netns/\(name)" }

    init() throws {
        guard which("ip") != nil else {
            throw CommandError(description: "ip not found on PATH: install the Debian package iproute2")
        }
        name = "kshim-net-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try output(of: ["ip", "netns", "add", name])
    }

    /// Deletes the namespace and with it every link the test made there.
    func remove() {
        _ = try? run(["ip", "netns", "delete", name])
    }

    /// `ip -n NAME ARGUMENTS...`, which must succeed.
    @discardableResult
    func ip(_ arguments: String...) throws -> String {
        try output(of: ["ip", "-n", name] + arguments)
    }

    /// `ip -n NAME -j ARGUMENTS...` parsed: one dictionary per object.
    func json(_ arguments: String...) throws -> [[String: Any]] {
        let text = try output(of: ["ip", "-n", name, "-j"] + arguments)
        guard let start = text.firstIndex(of: "[") else { return [] }
        let value = try JSONSerialization.jsonObject(with: Data(text[start...].utf8))
        return value as? [[String: Any]] ?? []
    }

    /// A veth pair in the namespace, both ends up unless told otherwise.
    func addVeth(_ name: String, peer: String, mac: String? = nil, up: Bool = true) throws {
        var arguments = ["ip", "-n", self.name, "link", "add", name]
        if let mac { arguments += ["address", mac] }
        arguments += ["type", "veth", "peer", "name", peer]
        try output(of: arguments)
        // No IPv6 link-local addresses: the kernel adds them (and their routes)
        // whenever carrier comes up, which would race with the comparisons.
        try ip("link", "set", "dev", name, "addrgenmode", "none")
        try ip("link", "set", "dev", peer, "addrgenmode", "none")
        if up {
            try ip("link", "set", name, "up")
            try ip("link", "set", peer, "up")
        }
    }

    /// "ADDRESS/PREFIXLEN" of each address `ip addr show dev DEVICE` lists.
    func addresses(of device: String) throws -> Set<String> {
        let links = try json("addr", "show", "dev", device)
        var result: Set<String> = []
        for link in links {
            for info in link["addr_info"] as? [[String: Any]] ?? [] {
                if let local = info["local"] as? String, let length = info["prefixlen"] as? Int {
                    result.insert("\(local)/\(length)")
                }
            }
        }
        return result
    }

    /// The main table's routes as `ip` shows them, as "DEST via GATEWAY dev
    /// DEVICE" with DEST always ADDRESS/LENGTH or "default".
    func routes(ipv6: Bool) throws -> Set<String> {
        let objects = ipv6 ? try json("-6", "route", "show") : try json("route", "show")
        return Set(objects.map { object in
            var destination = object["dst"] as? String ?? "?"
            if destination != "default" && !destination.contains("/") {
                destination += ipv6 ? "/128" : "/32"
            }
            return Self.routeText(destination, gateway: object["gateway"] as? String ?? "",
                             device: object["dev"] as? String ?? "")
        })
    }

    static func routeText(_ destination: String, gateway: String, device: String) -> String {
        var text = destination
        if !gateway.isEmpty { text += " via \(gateway)" }
        if !device.isEmpty { text += " dev \(device)" }
        return text
    }

    /// Namespaces and links need root.
    static let available = getuid() == 0
}
