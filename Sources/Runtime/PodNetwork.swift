#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChildProcesses
import CLinux
import Glibc
import Hypervisor
import Logging
import Protocols

/// The pod's network as Kata's `tcfilter` model makes it (kata-shim-compat
/// §3.8): every veth (or macvlan, ipvlan) that CNI put into the pod's network
/// namespace gets a tap beside it, and tc ingress filters with a mirred
/// redirect pass every frame from one to the other, both ways. QEMU holds the
/// tap as a virtio-net device with the veth's MAC, and the guest's interface
/// gets the veth's addresses and the namespace's routes (UpdateInterface,
/// UpdateRoutes). The namespace is CNI's: only the taps and filters are ours.
public struct PodNetwork: Sendable {
    /// One interface of the namespace, as the guest gets it.
    public struct Endpoint: Sendable, Equatable {
        /// The interface in the pod namespace (and the guest's name for it).
        public var name: String
        public var index: Int
        public var macAddress: String
        public var mtu: Int
        /// `address/prefix` pairs, IPv4 and global IPv6.
        public var addresses: [(address: String, prefixLength: Int, family: Types_IPFamily)]
        /// `tap<i>_kata`: the tap paired with it.
        public var tapName: String

        public static func == (a: Endpoint, b: Endpoint) -> Bool {
            a.name == b.name && a.index == b.index && a.macAddress == b.macAddress && a.mtu == b.mtu
                && a.tapName == b.tapName
                && a.addresses.map { "\($0.address)/\($0.prefixLength)" } == b.addresses.map { "\($0.address)/\($0.prefixLength)" }
        }
    }

    /// The namespace's path (`linux.namespaces[type=network].path`).
    public var namespacePath: String
    public var endpoints: [Endpoint]
    /// The namespace's routes over the endpoints, in the agent's form.
    public var routes: [Types_Route]

    public struct NetworkError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Kata's words for a pod that asks for the host's network: refused, the
    /// VM cannot share the host's interfaces.
    public static let hostNetworkMessage = "Host networking requested, not supported by runtime"

    /// The network namespace a sandbox's spec asks for: nil when the spec
    /// asks for a new, empty one (Kata then gives the VM no interface).
    /// Throws for the host's namespace, spelled as no network namespace at
    /// all (CRI's host-network pods, `ctr run --net-host`) or as a path to
    /// the namespace the shim runs in.
    public static func namespacePath(of spec: Grpc_Spec, ownNamespace: String = "/proc/self/ns/net") throws -> String? {
        guard let entry = spec.linux.namespaces.first(where: { $0.type == "network" }) else {
            throw NetworkError(description: hostNetworkMessage
                + " (the spec has no network namespace: run the pod without hostNetwork)")
        }
        guard !entry.path.isEmpty else { return nil }
        var own = stat()
        var requested = stat()
        guard stat(entry.path, &requested) == 0 else {
            throw NetworkError(description: "network namespace \(entry.path) (linux.namespaces): \(String(cString: strerror(errno)))")
        }
        if stat(ownNamespace, &own) == 0, own.st_dev == requested.st_dev, own.st_ino == requested.st_ino {
            throw NetworkError(description: hostNetworkMessage + " (\(entry.path) is the host's network namespace)")
        }
        return entry.path
    }

    // MARK: Reading the namespace

    /// `ip -json -details address show` output, the fields used.
    struct LinkJSON: Decodable {
        struct AddressJSON: Decodable {
            var family: String
            var local: String
            var prefixlen: Int
            var scope: String?
        }
        struct LinkInfoJSON: Decodable { var info_kind: String? }
        var ifindex: Int
        var ifname: String
        var mtu: Int?
        var link_type: String?
        var address: String?
        var linkinfo: LinkInfoJSON?
        var addr_info: [AddressJSON]?
    }

    /// `ip -json route show` output, the fields used.
    struct RouteJSON: Decodable {
        var dst: String
        var gateway: String?
        var dev: String?
        var prefsrc: String?
        var scope: String?
        var flags: [String]?
    }

    /// The interface kinds Kata's tcfilter model takes over.
    static let endpointKinds: Set<String> = ["veth", "macvlan", "ipvlan"]

    /// The endpoints and routes described by `ip -json` output (a pure
    /// function, for tests). Interfaces of other kinds (loopback, taps) and
    /// routes over them are left out, as are IPv6 link-local addresses and routes.
    static func parse(links linkJSON: [UInt8], ipv4Routes: [UInt8], ipv6Routes: [UInt8]) throws -> (endpoints: [Endpoint], routes: [Types_Route]) {
        let decoder = JSONDecoder()
        let links: [LinkJSON]
        do { links = try decoder.decode([LinkJSON].self, from: Data(linkJSON)) } catch {
            throw NetworkError(description: "cannot read `ip -json address show`: \(error)")
        }
        var endpoints: [Endpoint] = []
        for link in links where link.link_type == "ether" && endpointKinds.contains(link.linkinfo?.info_kind ?? "") {
            guard let mac = link.address else { continue }
            let addresses = (link.addr_info ?? []).compactMap { entry -> (String, Int, Types_IPFamily)? in
                switch entry.family {
                case "inet": return (entry.local, entry.prefixlen, .v4)
                case "inet6" where entry.scope != "link" && entry.scope != "host": return (entry.local, entry.prefixlen, .v6)
                default: return nil
                }
            }
            endpoints.append(Endpoint(name: link.ifname, index: link.ifindex, macAddress: mac, mtu: link.mtu ?? 1500,
                                      addresses: addresses, tapName: "tap\(endpoints.count)_kata"))
        }
        let names = Set(endpoints.map(\.name))
        var routes: [Types_Route] = []
        for (json, family) in [(ipv4Routes, Types_IPFamily.v4), (ipv6Routes, .v6)] where !json.isEmpty {
            let entries: [RouteJSON]
            do { entries = try decoder.decode([RouteJSON].self, from: Data(json)) } catch {
                throw NetworkError(description: "cannot read `ip -json route show`: \(error)")
            }
            for entry in entries {
                guard let device = entry.dev, names.contains(device) else { continue }
                if family == .v6 && (entry.dst.hasPrefix("fe80:") || entry.dst.hasPrefix("ff00:") || entry.dst.hasPrefix("multicast")) { continue }
                var route = Types_Route()
                route.dest = entry.dst == "default" ? "" : entry.dst
                route.gateway = entry.gateway ?? ""
                route.device = device
                route.source = entry.prefsrc ?? ""
                route.family = family
                route.scope = switch entry.scope {
                case "link": 253
                case "host": 254
                case "site": 200
                default: 0
                }
                if entry.flags?.contains("onlink") == true { route.flags = 4 }
                routes.append(route)
            }
        }
        return (endpoints, routes)
    }

    // MARK: Making and undoing the taps

    /// Reads the namespace, then makes a tap beside each endpoint with the
    /// filters both ways. Returns the network and the taps' descriptors (one
    /// per endpoint, in order), which the caller hands to QEMU and closes.
    /// On failure everything made so far is undone.
    public static func attach(namespacePath: String, logger: Logger) async throws -> (PodNetwork, tapDescriptors: [Int32]) {
        let links = try await run(namespacePath, ["ip", "-json", "-details", "address", "show"])
        let v4 = try await run(namespacePath, ["ip", "-json", "-4", "route", "show"])
        let v6 = try await run(namespacePath, ["ip", "-json", "-6", "route", "show"])
        let (endpoints, routes) = try parse(links: Array(links.utf8), ipv4Routes: Array(v4.utf8), ipv6Routes: Array(v6.utf8))
        let network = PodNetwork(namespacePath: namespacePath, endpoints: endpoints, routes: routes)
        var descriptors: [Int32] = []
        // Only what this call added is undone on failure: a qdisc that was
        // there before belongs to someone else.
        var ingressAdded: [String] = []
        do {
            for endpoint in endpoints {
                let fd = cs_open_tap_in_netns(namespacePath, endpoint.tapName)
                guard fd >= 0 else {
                    throw NetworkError(description: "tap \(endpoint.tapName) in \(namespacePath): \(String(cString: strerror(-fd)))"
                        + (fd == -ENOENT ? " (is /dev/net/tun there? modprobe tun)" : "")
                        + (fd == -EBUSY ? " (a tap of that name exists already: a sandbox's leftover? remove it with `nsenter --net=\(namespacePath) ip link del \(endpoint.tapName)`)" : ""))
                }
                descriptors.append(fd)
                try await run(namespacePath, ["ip", "link", "set", endpoint.tapName, "mtu", String(endpoint.mtu), "up"])
                for (from, to) in [(endpoint.name, endpoint.tapName), (endpoint.tapName, endpoint.name)] {
                    do {
                        try await run(namespacePath, ["tc", "qdisc", "add", "dev", from, "handle", "ffff:", "ingress"])
                    } catch {
                        throw NetworkError(description: "\(error)" + (["File exists", "Exclusivity flag on"].contains { "\(error)".contains($0) }
                            ? " (\(from) has an ingress qdisc already, a crashed sandbox's or another tool's: remove it with `nsenter --net=\(namespacePath) tc qdisc del dev \(from) ingress`)" : ""))
                    }
                    ingressAdded.append(from)
                    try await run(namespacePath, ["tc", "filter", "add", "dev", from, "parent", "ffff:", "protocol", "all",
                                                  "u32", "match", "u8", "0", "0", "action", "mirred", "egress", "redirect", "dev", to])
                }
                logger.debug("network: \(endpoint.name) (\(endpoint.macAddress)) <-> \(endpoint.tapName)")
            }
        } catch {
            for fd in descriptors { close(fd) }
            for device in ingressAdded where !device.hasSuffix("_kata") {
                _ = try? await run(namespacePath, ["tc", "qdisc", "del", "dev", device, "ingress"])
            }
            throw error
        }
        return (network, descriptors)
    }

    /// Removes the filters from the endpoints (the taps go with the last
    /// descriptor, QEMU's). Quiet when CNI has removed the namespace already.
    public func detach(logger: Logger) async {
        guard access(namespacePath, F_OK) == 0 else { return }
        for endpoint in endpoints {
            do {
                try await Self.run(namespacePath, ["tc", "qdisc", "del", "dev", endpoint.name, "ingress"])
            } catch {
                logger.debug("network: \(error)")
            }
        }
    }

    /// The agent's UpdateInterface requests, one per endpoint.
    public var agentInterfaces: [Types_Interface] {
        endpoints.map { endpoint in
            var interface = Types_Interface()
            interface.device = endpoint.name
            interface.name = endpoint.name
            interface.hwAddr = endpoint.macAddress
            interface.mtu = UInt64(endpoint.mtu)
            interface.ipaddresses = endpoint.addresses.map { entry in
                var address = Types_IPAddress()
                address.family = entry.family
                address.address = entry.address
                address.mask = String(entry.prefixLength)
                return address
            }
            return interface
        }
    }

    /// QEMU's view: one tap queue per endpoint, numbered from `firstDescriptor`.
    public func taps(firstDescriptor: Int32) -> [SandboxPlan.NetworkTap] {
        endpoints.enumerated().map { index, endpoint in
            SandboxPlan.NetworkTap(tapDescriptors: [firstDescriptor + Int32(index)], macAddress: endpoint.macAddress)
        }
    }

    /// Runs `arguments` in the namespace (util-linux nsenter); its output, or
    /// an error that quotes the command and what it said.
    @discardableResult
    static func run(_ namespacePath: String, _ arguments: [String]) async throws -> String {
        let result = try await CommandRunner().run(["/usr/bin/nsenter", "--net=" + namespacePath] + arguments)
        guard result.status == .exited(0) else {
            throw NetworkError(description: "\(arguments.joined(separator: " ")) in \(namespacePath): "
                + "\(result.status): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.output
    }
}
