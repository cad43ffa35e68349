import Foundation
import Protocols
@testable import Runtime
import TestSupport
import Testing

/// What the shim reads from a pod's network namespace and sends the guest.
@Suite struct PodNetworkTests {
    /// `ip -json -details address show` in a pod namespace made by a CNI
    /// plugin (veth eth0), with loopback and a leftover tap to skip.
    static let links = """
    [{"ifindex":1,"ifname":"lo","mtu":65536,"link_type":"loopback","address":"00:00:00:00:00:00",
      "addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},
     {"ifindex":2,"link_netnsid":0,"ifname":"eth0","mtu":1450,"link_type":"ether","address":"9a:1b:2c:3d:4e:5f",
      "linkinfo":{"info_kind":"veth"},
      "addr_info":[{"family":"inet","local":"198.18.7.2","prefixlen":24,"scope":"global"},
                   {"family":"inet6","local":"fd00::2","prefixlen":64,"scope":"global"},
                   {"family":"inet6","local":"fe80::981b:2cff:fe3d:4e5f","prefixlen":64,"scope":"link"}]},
     {"ifindex":3,"ifname":"tap9_kata","mtu":1500,"link_type":"ether","address":"aa:aa:aa:aa:aa:aa",
      "linkinfo":{"info_kind":"tun"},"addr_info":[]}]
    """
    static let v4Routes = """
    [{"dst":"default","gateway":"198.18.7.1","dev":"eth0","flags":[]},
     {"dst":"198.18.7.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"198.18.7.2","flags":[]},
     {"dst":"10.9.0.0/16","dev":"tap9_kata","flags":[]}]
    """
    static let v6Routes = """
    [{"dst":"fd00::/64","dev":"eth0","protocol":"kernel","flags":[]},
     {"dst":"fe80::/64","dev":"eth0","protocol":"kernel","flags":[]}]
    """

    @Test func readsVethsAddressesAndRoutes() throws {
        let (endpoints, routes) = try PodNetwork.parse(links: Array(Self.links.utf8), ipv4Routes: Array(Self.v4Routes.utf8),
                                                       ipv6Routes: Array(Self.v6Routes.utf8))
        try #require(endpoints.count == 1)
        let eth0 = endpoints[0]
        #expect(eth0.name == "eth0" && eth0.index == 2 && eth0.macAddress == "9a:1b:2c:3d:4e:5f" && eth0.mtu == 1450)
        #expect(eth0.tapName == "tap0_kata")
        #expect(eth0.addresses.map { "\($0.address)/\($0.prefixLength)" } == ["198.18.7.2/24", "fd00::2/64"])

        // Over eth0 only; link-local IPv6 left out; default spelled as Kata does (empty dest).
        #expect(routes.map(\.dest) == ["", "198.18.7.0/24", "fd00::/64"])
        #expect(routes[0].gateway == "198.18.7.1" && routes[0].device == "eth0" && routes[0].family == .v4)
        #expect(routes[1].scope == 253 && routes[1].source == "198.18.7.2")
        #expect(routes[2].family == .v6)
    }

    @Test func agentInterfaceCarriesTheVethIdentity() throws {
        let (endpoints, routes) = try PodNetwork.parse(links: Array(Self.links.utf8), ipv4Routes: Array(Self.v4Routes.utf8), ipv6Routes: [])
        let network = PodNetwork(namespacePath: "/run/netns/x", endpoints: endpoints, routes: routes)
        let interface = try #require(network.agentInterfaces.first)
        #expect(interface.name == "eth0" && interface.device == "eth0")
        #expect(interface.hwAddr == "9a:1b:2c:3d:4e:5f" && interface.mtu == 1450)
        #expect(interface.ipaddresses.map { "\($0.address)/\($0.mask)" } == ["198.18.7.2/24", "fd00::2/64"])
        #expect(interface.ipaddresses.map(\.family) == [.v4, .v6])
        // QEMU gets the same MAC, on the descriptor after QMP (and vsock).
        #expect(network.taps(firstDescriptor: 4) == [.init(tapDescriptors: [4], macAddress: "9a:1b:2c:3d:4e:5f")])
    }

    @Test func unreadableOutputIsAnError() {
        #expect(throws: PodNetwork.NetworkError.self) {
            try PodNetwork.parse(links: Array("not json".utf8), ipv4Routes: [], ipv6Routes: [])
        }
    }

    /// Host networking, in either spelling, is refused with Kata's words;
    /// an empty path asks for a new, empty namespace (no interfaces).
    @Test func hostNetworkIsRefused() throws {
        var spec = Grpc_Spec()
        #expect(throws: PodNetwork.NetworkError.self) { try PodNetwork.namespacePath(of: spec) }
        do {
            _ = try PodNetwork.namespacePath(of: spec)
        } catch {
            #expect("\(error)".contains(PodNetwork.hostNetworkMessage))
        }

        var network = Grpc_LinuxNamespace()
        network.type = "network"
        spec.linux.namespaces = [network]
        #expect(try PodNetwork.namespacePath(of: spec) == nil)

        spec.linux.namespaces[0].path = "/proc/self/ns/net"
        do {
            _ = try PodNetwork.namespacePath(of: spec)
            Issue.record("the shim's own network namespace was accepted")
        } catch {
            #expect("\(error)".contains(PodNetwork.hostNetworkMessage))
        }

        spec.linux.namespaces[0].path = "/nonexistent/netns"
        #expect(throws: PodNetwork.NetworkError.self) { try PodNetwork.namespacePath(of: spec) }
    }

    /// A real namespace with a veth (no VM): taps and filters both ways are
    /// made, and undone.
    @Test func attachMakesTapsAndFiltersAndDetachRemovesThem() async throws {
        let name = try Self.podNamespace()
        defer { Self.removeNamespaces(name) }
        let path = "/run/netns/" + name
        try #require(try run(["ip", "-n", name, "address", "add", "198.19.3.2/24", "dev", "eth0"], timeout: 10).succeeded)
        try #require(try run(["ip", "-n", name, "link", "set", "eth0", "up"], timeout: 10).succeeded)

        let (network, descriptors) = try await PodNetwork.attach(namespacePath: path, logger: .init(label: "test"))
        #expect(network.endpoints.map(\.name) == ["eth0"])
        #expect(descriptors.count == 1)
        let filters = try run(["ip", "netns", "exec", name, "tc", "filter", "show", "dev", "eth0", "ingress"], timeout: 10).output
        #expect(filters.contains("Redirect to device tap0_kata"), "\(filters)")
        let back = try run(["ip", "netns", "exec", name, "tc", "filter", "show", "dev", "tap0_kata", "ingress"], timeout: 10).output
        #expect(back.contains("Redirect to device eth0"), "\(back)")

        await network.detach(logger: .init(label: "test"))
        for fd in descriptors { close(fd) }
        let qdiscs = try run(["ip", "netns", "exec", name, "tc", "qdisc", "show", "dev", "eth0"], timeout: 10).output
        #expect(!qdiscs.contains("ingress"), "\(qdiscs)")
        let links = try run(["ip", "-n", name, "-o", "link", "show"], timeout: 10).output
        #expect(!links.contains("tap0_kata"), "the tap outlived its last descriptor: \(links)")
    }

    /// An ingress qdisc that was there before (a crashed sandbox's, another
    /// tool's) fails the attach with the command that removes it, and is
    /// left as it was; no tap survives the failure.
    @Test func existingIngressQdiscIsNamedAndLeftAlone() async throws {
        let name = try Self.podNamespace()
        defer { Self.removeNamespaces(name) }
        try #require(try run(["ip", "netns", "exec", name, "tc", "qdisc", "add", "dev", "eth0", "handle", "ffff:", "ingress"],
                             timeout: 10).succeeded)
        do {
            _ = try await PodNetwork.attach(namespacePath: "/run/netns/" + name, logger: .init(label: "test"))
            Issue.record("attached over an existing ingress qdisc")
        } catch {
            #expect("\(error)".contains("tc qdisc del dev eth0 ingress"), "\(error)")
        }
        let qdiscs = try run(["ip", "netns", "exec", name, "tc", "qdisc", "show", "dev", "eth0"], timeout: 10).output
        #expect(qdiscs.contains("ingress"), "the qdisc that was there before was removed")
        let links = try run(["ip", "-n", name, "-o", "link", "show"], timeout: 10).output
        #expect(!links.contains("tap0_kata"), "\(links)")
    }

    /// A pod namespace as a CNI plugin leaves it: `eth0`, a veth whose other
    /// end is in a second namespace (`<name>-o`). Returns the pod's name.
    static func podNamespace() throws -> String {
        let name = "kt-pn-" + String(UUID().uuidString.prefix(6)).lowercased()
        for namespace in [name, name + "-o"] {
            guard try run(["ip", "netns", "add", namespace], timeout: 10).succeeded else {
                removeNamespaces(name)
                throw CommandError(description: "ip netns add \(namespace) failed")
            }
        }
        let veth = try run(["ip", "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0", "netns", name + "-o"], timeout: 10)
        guard veth.succeeded else {
            removeNamespaces(name)
            throw CommandError(description: "veth: \(veth.output)")
        }
        return name
    }

    static func removeNamespaces(_ name: String) {
        for namespace in [name, name + "-o"] { _ = try? run(["ip", "netns", "del", namespace], timeout: 10) }
    }
}
