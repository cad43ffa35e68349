import Foundation
@testable import GuestAgent
import Protocols
import Testing

/// NetworkManager against a network namespace of each test's own, checked
/// with `ip -j`.
@Suite("NetworkManager in a network namespace", .enabled(if: NetworkTestNamespace.available, "needs root"))
struct NetworkManagerTests {
    func address(_ address: String, _ mask: String) -> Types_IPAddress {
        var value = Types_IPAddress()
        value.family = address.contains(":") ? .v6 : .v4
        value.address = address
        value.mask = mask
        return value
    }

    func route(_ dest: String, gateway: String = "", device: String, scope: UInt32 = 0,
               family: Types_IPFamily = .v4) -> Types_Route {
        var route = Types_Route()
        route.dest = dest
        route.gateway = gateway
        route.device = device
        route.scope = scope
        route.family = family
        return route
    }

    func text(_ route: Types_Route) -> String {
        NetworkTestNamespace.routeText(route.dest, gateway: route.gateway, device: route.device)
    }

    @Test func updateInterfaceFindsTheLinkByMACAndAppliesEverything() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kv0a", peer: "kv0b", mac: "02:00:00:00:aa:01")
        try namespace.ip("addr", "add", "192.168.50.9/24", "dev", "kv0a")
        try namespace.ip("-6", "addr", "add", "fd00:50::9/64", "dev", "kv0a")

        var request = Types_Interface()
        request.name = "eth7"
        request.hwAddr = "02:00:00:00:AA:01"  // matched regardless of case
        request.mtu = 1400
        request.ipaddresses = [address("10.10.0.2", "24"), address("fd00:10::2", "64")]
        request.devicePath = "02/00"
        let manager = NetworkManager(namespacePath: namespace.path)
        let result = try await manager.updateInterface(request)

        let link = try #require(try namespace.json("link", "show", "dev", "eth7").first)
        #expect(link["mtu"] as? Int == 1400)
        #expect(link["address"] as? String == "02:00:00:00:aa:01")
        #expect((link["flags"] as? [String] ?? []).contains("UP"))
        let addresses = try namespace.addresses(of: "eth7")
        #expect(addresses.isSuperset(of: ["10.10.0.2/24", "fd00:10::2/64"]))
        #expect(!addresses.contains("192.168.50.9/24"))
        #expect(!addresses.contains("fd00:50::9/64"))
        #expect(try namespace.json("link", "show", "dev", "kv0b").count == 1)

        #expect(result.name == "eth7")
        #expect(result.device == "eth7")
        #expect(result.mtu == 1400)
        #expect(result.hwAddr == "02:00:00:00:aa:01")
        #expect(result.type == "veth")
        #expect(result.rawFlags & 1 != 0)
        #expect(result.devicePath == "02/00")
        let returned = Set(result.ipaddresses.map { "\($0.address)/\($0.mask)" })
        #expect(returned == addresses)
        for entry in result.ipaddresses {
            #expect(entry.family == (entry.address.contains(":") ? .v6 : .v4))
        }
    }

    @Test func updateInterfaceSwapsNamesWithTheLinkHoldingTheWantedOne() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kv1a", peer: "kv1p", mac: "02:00:00:00:b1:01")
        try namespace.addVeth("kv1b", peer: "kv1q", mac: "02:00:00:00:b1:02")

        var request = Types_Interface()
        request.name = "kv1b"
        request.hwAddr = "02:00:00:00:b1:01"
        request.ipaddresses = [address("10.11.0.2", "24")]
        let manager = NetworkManager(namespacePath: namespace.path)
        let result = try await manager.updateInterface(request)

        #expect(result.name == "kv1b")
        let renamed = try #require(try namespace.json("link", "show", "dev", "kv1b").first)
        #expect(renamed["address"] as? String == "02:00:00:00:b1:01")
        let other = try #require(try namespace.json("link", "show", "dev", "kv1a").first)
        #expect(other["address"] as? String == "02:00:00:00:b1:02")
        // It was up before and is up again.
        #expect((other["flags"] as? [String] ?? []).contains("UP"))
        #expect(try namespace.addresses(of: "kv1b").contains("10.11.0.2/24"))
    }

    @Test func updateInterfaceWithAnUnknownMACSaysLinkNotFound() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kv2a", peer: "kv2b")

        var request = Types_Interface()
        request.name = "eth0"
        request.hwAddr = "02:00:00:00:ee:ee"
        let manager = NetworkManager(namespacePath: namespace.path)
        let error = await #expect(throws: AgentError.self) { try await manager.updateInterface(request) }
        #expect(error?.errorClass == .notFound)
        #expect(error?.message.contains("Link not found") == true)
        #expect(error?.message.contains("02:00:00:00:ee:ee") == true)
    }

    @Test func updateInterfaceRejectsBadInputBeforeChangingAnything() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kv3a", peer: "kv3b", mac: "02:00:00:00:c3:01")
        try namespace.ip("addr", "add", "192.168.53.9/24", "dev", "kv3a")
        let manager = NetworkManager(namespacePath: namespace.path)

        var badAddress = Types_Interface()
        badAddress.name = "eth3"
        badAddress.hwAddr = "02:00:00:00:c3:01"
        badAddress.ipaddresses = [address("10.13.0.2", "24"), address("10.13.0.300", "24")]
        var error = await #expect(throws: AgentError.self) { try await manager.updateInterface(badAddress) }
        #expect(error?.errorClass == .invalidArgument)
        #expect(error?.message.contains("IPAddresses[1].address") == true)
        #expect(error?.message.contains("10.13.0.300") == true)

        var badMask = badAddress
        badMask.ipaddresses = [address("10.13.0.2", "33")]
        error = await #expect(throws: AgentError.self) { try await manager.updateInterface(badMask) }
        #expect(error?.message.contains("IPAddresses[0].mask") == true)
        #expect(error?.message.contains("\"33\"") == true)

        var badMAC = badAddress
        badMAC.hwAddr = "02:00:00:00:c3"
        badMAC.ipaddresses = []
        error = await #expect(throws: AgentError.self) { try await manager.updateInterface(badMAC) }
        #expect(error?.message.contains("hwAddr") == true)

        var badName = badMAC
        badName.hwAddr = "02:00:00:00:c3:01"
        badName.name = "a-name-far-too-long"
        error = await #expect(throws: AgentError.self) { try await manager.updateInterface(badName) }
        #expect(error?.message.contains("name \"a-name-far-too-long\"") == true)

        // Nothing happened to the link.
        #expect(try namespace.json("link", "show", "dev", "kv3a").count == 1)
        #expect(try namespace.addresses(of: "kv3a").contains("192.168.53.9/24"))
    }

    @Test func updateInterfaceReportsWhatTheKernelRefused() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kv4a", peer: "kv4b", mac: "02:00:00:00:c4:01")

        var request = Types_Interface()
        request.name = "kv4a"
        request.hwAddr = "02:00:00:00:c4:01"
        request.mtu = 70000  // above a veth's maximum
        let manager = NetworkManager(namespacePath: namespace.path)
        let error = await #expect(throws: AgentError.self) { try await manager.updateInterface(request) }
        #expect(error?.errorClass == .invalidArgument)
        #expect(error?.message.contains("update interface kv4a") == true)
        #expect(error?.message.contains("MTU 70000") == true)
        #expect(error?.message.contains("errno \(EINVAL)") == true)
    }

    @Test func updateRoutesReplacesTheRoutes() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kr0", peer: "kr0p")
        try namespace.ip("addr", "add", "10.20.0.2/24", "dev", "kr0")
        try namespace.ip("-6", "addr", "add", "fd00:20::2/64", "dev", "kr0", "nodad")
        try namespace.ip("route", "add", "10.99.0.0/16", "via", "10.20.0.1", "dev", "kr0")
        try namespace.ip("-6", "route", "add", "fd00:99::/48", "via", "fd00:20::1", "dev", "kr0")

        // Gateway routes first in the request: the manager reorders them.
        let routes = [
            route("default", gateway: "10.20.0.1", device: "kr0"),
            route("10.30.0.0/16", device: "kr0", scope: 253),
            route("", gateway: "fd00:20::1", device: "kr0", family: .v6),
            route("fd00:30::/64", device: "kr0", family: .v6),
        ]
        let manager = NetworkManager(namespacePath: namespace.path)
        let result = try await manager.updateRoutes(routes)

        let v4 = try namespace.routes(ipv6: false)
        #expect(v4.contains("default via 10.20.0.1 dev kr0"))
        #expect(v4.contains("10.30.0.0/16 dev kr0"))
        #expect(v4.contains("10.20.0.0/24 dev kr0"))  // the address's own route stays
        #expect(!v4.contains("10.99.0.0/16 via 10.20.0.1 dev kr0"))
        let v6 = try namespace.routes(ipv6: true)
        #expect(v6.contains("default via fd00:20::1 dev kr0"))
        #expect(v6.contains("fd00:30::/64 dev kr0"))
        #expect(v6.contains("fd00:20::/64 dev kr0"))
        #expect(!v6.contains("fd00:99::/48 via fd00:20::1 dev kr0"))

        #expect(Set(result.map(text)) == v4.union(v6))
        let scoped = try #require(result.first { $0.dest == "10.30.0.0/16" })
        #expect(scoped.scope == 253)
        #expect(scoped.family == .v4)
        #expect(result.first { $0.dest == "fd00:30::/64" }?.family == .v6)
        let kernelRoute = try #require(result.first { $0.dest == "10.20.0.0/24" })
        #expect(kernelRoute.source == "10.20.0.2")

        // Again with fewer routes: the default route goes, the others stay.
        let second = try await manager.updateRoutes([route("10.30.0.0/16", device: "kr0", scope: 253)])
        #expect(!second.contains { $0.dest == "default" })
        let remaining = try namespace.routes(ipv6: false)
        #expect(remaining == ["10.30.0.0/16 dev kr0", "10.20.0.0/24 dev kr0"])
    }

    @Test func updateRoutesRejectsBadInputBeforeDeletingAnything() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kr1", peer: "kr1p")
        try namespace.ip("addr", "add", "10.21.0.2/24", "dev", "kr1")
        try namespace.ip("route", "add", "10.98.0.0/16", "via", "10.21.0.1", "dev", "kr1")
        let manager = NetworkManager(namespacePath: namespace.path)
        let good = route("10.31.0.0/16", device: "kr1")

        var error = await #expect(throws: AgentError.self) {
            try await manager.updateRoutes([good, route("10.32.0.0/16", device: "nosuch0")])
        }
        #expect(error?.errorClass == .notFound)
        #expect(error?.message.contains("routes[1]") == true)
        #expect(error?.message.contains("device \"nosuch0\"") == true)

        error = await #expect(throws: AgentError.self) {
            try await manager.updateRoutes([route("default", gateway: "10.21.0.x", device: "kr1")])
        }
        #expect(error?.errorClass == .invalidArgument)
        #expect(error?.message.contains("gateway \"10.21.0.x\"") == true)

        error = await #expect(throws: AgentError.self) {
            try await manager.updateRoutes([route("10.33.0.0/40", device: "kr1")])
        }
        #expect(error?.message.contains("dest \"10.33.0.0/40\"") == true)

        error = await #expect(throws: AgentError.self) {
            try await manager.updateRoutes([route("10.33.0.0/16", gateway: "fd00::1", device: "kr1")])
        }
        #expect(error?.message.contains("mixes IPv4 and IPv6") == true)

        #expect(try namespace.routes(ipv6: false).contains("10.98.0.0/16 via 10.21.0.1 dev kr1"))
    }

    @Test func updateRoutesReportsAnUnreachableGateway() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kr2", peer: "kr2p")
        try namespace.ip("addr", "add", "10.22.0.2/24", "dev", "kr2")
        let manager = NetworkManager(namespacePath: namespace.path)
        let error = await #expect(throws: AgentError.self) {
            try await manager.updateRoutes([route("default", gateway: "192.0.2.1", device: "kr2")])
        }
        #expect(error?.message.contains("routes[0] (dest default, gateway 192.0.2.1, device kr2)") == true)
        #expect(error?.message.contains("errno") == true)
    }

    @Test func listInterfacesAndListRoutesMatchIP() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kl0", peer: "kl0p", mac: "02:00:00:00:d0:01")
        try namespace.ip("link", "set", "kl0p", "down")
        try namespace.ip("addr", "add", "10.50.0.2/24", "dev", "kl0")
        try namespace.ip("addr", "add", "10.50.1.2/24", "dev", "kl0")
        try namespace.ip("-6", "addr", "add", "fd00:50::2/64", "dev", "kl0", "nodad")
        try namespace.ip("link", "set", "kl0", "mtu", "1450")
        try namespace.ip("route", "add", "default", "via", "10.50.0.1", "dev", "kl0")
        try namespace.ip("route", "add", "10.60.0.0/16", "dev", "kl0", "src", "10.50.1.2")
        try namespace.ip("route", "add", "10.61.0.7", "via", "10.50.1.1", "dev", "kl0")
        let manager = NetworkManager(namespacePath: namespace.path)

        let interfaces = try await manager.listInterfaces()
        let shown = try namespace.json("addr", "show")
        // Only this namespace's links: lo and the pair.
        #expect(Set(interfaces.map(\.name)) == ["lo", "kl0", "kl0p"])
        #expect(interfaces.count == shown.count)
        for object in shown {
            let name = try #require(object["ifname"] as? String)
            let interface = try #require(interfaces.first { $0.name == name })
            #expect(interface.device == name)
            #expect(interface.mtu == UInt64(object["mtu"] as? Int ?? -1))
            #expect(interface.hwAddr == object["address"] as? String)
            #expect((interface.rawFlags & 1 != 0) == (object["flags"] as? [String] ?? []).contains("UP"))
            let addresses = try namespace.addresses(of: name)
            #expect(Set(interface.ipaddresses.map { "\($0.address)/\($0.mask)" }) == addresses)
        }
        #expect(interfaces.first { $0.name == "lo" }?.type == "device")
        #expect(interfaces.first { $0.name == "kl0" }?.type == "veth")

        let routes = try await manager.listRoutes()
        let expected = try namespace.routes(ipv6: false).union(namespace.routes(ipv6: true))
        #expect(Set(routes.map(text)) == expected)
        #expect(routes.first { $0.dest == "10.60.0.0/16" }?.source == "10.50.1.2")
        #expect(routes.contains { $0.dest == "10.61.0.7/32" && $0.gateway == "10.50.1.1" })
        let v6 = try await manager.listRoutes(family: .v6)
        #expect(!v6.isEmpty && v6.allSatisfy { $0.family == .v6 })
        let shownV6 = try namespace.routes(ipv6: true)
        #expect(Set(v6.map(text)) == shownV6)
    }

    @Test func addARPNeighborsAddsPermanentEntries() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kn0", peer: "kn0p")
        try namespace.ip("addr", "add", "10.40.0.2/24", "dev", "kn0")

        func neighbor(_ ip: String, _ mac: String, device: String = "kn0") -> Types_ARPNeighbor {
            var value = Types_ARPNeighbor()
            value.toIpaddress = address(ip, ip.contains(":") ? "128" : "32")
            value.device = device
            value.lladdr = mac
            return value
        }
        let manager = NetworkManager(namespacePath: namespace.path)
        try await manager.addARPNeighbors([
            neighbor("10.40.0.9", "02:00:00:00:bb:09"),
            neighbor("fd00:40::9", "02:00:00:00:bb:0a"),
        ])
        // Adding the same entries again replaces them.
        try await manager.addARPNeighbors([neighbor("10.40.0.9", "02:00:00:00:bb:0b")])

        let entries = try namespace.json("neigh", "show", "dev", "kn0")
        let v4 = try #require(entries.first { $0["dst"] as? String == "10.40.0.9" })
        #expect(v4["lladdr"] as? String == "02:00:00:00:bb:0b")
        #expect((v4["state"] as? [String] ?? []).contains("PERMANENT"))
        let v6 = try #require(entries.first { $0["dst"] as? String == "fd00:40::9" })
        #expect(v6["lladdr"] as? String == "02:00:00:00:bb:0a")
        #expect((v6["state"] as? [String] ?? []).contains("PERMANENT"))

        var error = await #expect(throws: AgentError.self) {
            try await manager.addARPNeighbors([neighbor("10.40.0.10", "02:00:00:00:bb:0c", device: "nosuch0")])
        }
        #expect(error?.errorClass == .notFound)
        #expect(error?.message.contains("device \"nosuch0\"") == true)
        error = await #expect(throws: AgentError.self) {
            try await manager.addARPNeighbors([neighbor("10.40.0.10", "02:00:00:00:bb")])
        }
        #expect(error?.message.contains("lladdr \"02:00:00:00:bb\"") == true)
        error = await #expect(throws: AgentError.self) {
            try await manager.addARPNeighbors([neighbor("10.40.0.300", "02:00:00:00:bb:0c")])
        }
        #expect(error?.message.contains("toIPAddress.address \"10.40.0.300\"") == true)
    }

    @Test func requestMessagesReachTheSameOperations() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        try namespace.addVeth("kg0", peer: "kg0p", mac: "02:00:00:00:e0:01")
        let manager = NetworkManager(namespacePath: namespace.path)

        var update = Grpc_UpdateInterfaceRequest()
        update.interface.hwAddr = "02:00:00:00:e0:01"
        update.interface.name = "kg0"
        update.interface.ipaddresses = [address("10.70.0.2", "24")]
        _ = try await manager.updateInterface(update)
        var routes = Grpc_UpdateRoutesRequest()
        routes.routes.routes = [route("default", gateway: "10.70.0.1", device: "kg0")]
        let updated = try await manager.updateRoutes(routes)
        #expect(updated.routes.contains { $0.dest == "default" && $0.gateway == "10.70.0.1" })
        let listed = try await manager.listRoutes(Grpc_ListRoutesRequest())
        #expect(listed.routes == updated.routes)
        let interfaces = try await manager.listInterfaces(Grpc_ListInterfacesRequest())
        let kg0 = try #require(interfaces.interfaces.first { $0.name == "kg0" })
        #expect(kg0.ipaddresses.contains { $0.address == "10.70.0.2" })

        await #expect(throws: AgentError.self) { try await manager.updateInterface(Grpc_UpdateInterfaceRequest()) }
        await #expect(throws: AgentError.self) { try await manager.updateRoutes(Grpc_UpdateRoutesRequest()) }
    }

    @Test func bringLoopbackUp() async throws {
        let namespace = try NetworkTestNamespace()
        defer { namespace.remove() }
        let manager = NetworkManager(namespacePath: namespace.path)
        try await manager.bringLoopbackUp()
        let loopback = try #require(try namespace.json("link", "show", "dev", "lo").first)
        #expect((loopback["flags"] as? [String] ?? []).contains("UP"))
        let routes = try await manager.listRoutes(family: .v4)
        #expect(routes.isEmpty)  // lo's 127/8 route is in the local table
    }

    @Test func aMissingNamespaceIsAnErrorNamingIt() async throws {
        let manager = NetworkManager(namespacePath: "/run/netns/kshim-net-does-not-exist")
        let error = await #expect(throws: AgentError.self) { try await manager.listInterfaces() }
        #expect(error?.message.contains("/run/netns/kshim-net-does-not-exist") == true)
    }
}
