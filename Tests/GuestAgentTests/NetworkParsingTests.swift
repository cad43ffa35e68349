@testable import GuestAgent
import Protocols
import Testing

/// Text and wire formats of the network RPCs; no namespace needed.
@Suite("Network parsing and netlink encoding")
struct NetworkParsingTests {
    @Test func addressesAndPrefixes() throws {
        #expect(IPAddressValue("10.0.0.1")?.bytes == [10, 0, 0, 1])
        #expect(IPAddressValue("fd00::1")?.bytes.count == 16)
        for bad in ["", "10.0.0", "10.0.0.256", "10.0.0.1/24", " 10.0.0.1", "fd00::1%eth0", "host"] {
            #expect(IPAddressValue(bad) == nil, "\(bad)")
        }
        #expect(IPAddressValue("fd00:0:0::1")?.description == "fd00::1")

        let prefix = try #require(IPPrefixValue("10.1.0.0/16"))
        #expect(prefix.length == 16 && prefix.explicitLength)
        #expect(!prefix.address.hasHostBits(prefixLength: 16))
        #expect(IPPrefixValue("10.1.0.1/16")?.address.hasHostBits(prefixLength: 16) == true)
        #expect(IPPrefixValue("10.1.0.1")?.length == 32)
        #expect(IPPrefixValue("fd00::/64")?.length == 64)
        for bad in ["10.1.0.0/33", "10.1.0.0/", "10.1.0.0/-1", "10.1.0.0/1x", "fd00::/129", "/24"] {
            #expect(IPPrefixValue(bad) == nil, "\(bad)")
        }
        #expect(IPAddressValue("10.1.2.3")?.broadcast(prefixLength: 22) == [10, 1, 3, 255])
    }

    @Test func macAddresses() {
        #expect(MACAddress.parse("02:00:00:AA:bb:0c") == [2, 0, 0, 0xAA, 0xBB, 0x0C])
        #expect(MACAddress.parse("2:0:0:a:b:c") == [2, 0, 0, 0xA, 0xB, 0xC])
        #expect(MACAddress.parse("02-00-00-aa-bb-0c") == [2, 0, 0, 0xAA, 0xBB, 0x0C])
        for bad in ["", "02:00:00:aa:bb", "02:00:00:aa:bb:0c:0d", "02:00:00:aa:bb:0g", "020:00:00:aa:bb:0c"] {
            #expect(MACAddress.parse(bad) == nil, "\(bad)")
        }
        #expect(MACAddress.format([2, 0, 0, 0xAA, 0xBB, 0x0C]) == "02:00:00:aa:bb:0c")
        #expect(MACAddress.format([]) == "")
    }

    @Test func routeRequestsTakeTheirFamilyFromTheirAddresses() throws {
        var route = Types_Route()
        route.device = "eth0"
        route.family = .v6
        let v6Default = try NetworkRouteRequest(index: 0, route)
        #expect(v6Default.family == IPAddressValue.inet6 && v6Default.destination.length == 0)

        route.dest = "0.0.0.0"  // how Kata lists a gateway route
        route.gateway = "10.0.0.1"
        let v4Default = try NetworkRouteRequest(index: 0, route)
        #expect(v4Default.family == IPAddressValue.inet && v4Default.destination.length == 0)

        route.dest = "10.1.0.0/16"
        route.source = "10.0.0.5"
        route.scope = 253
        route.flags = 0xFF
        let full = try NetworkRouteRequest(index: 0, route)
        #expect(full.destination == IPPrefixValue("10.1.0.0/16"))
        guard case .preferred(let source) = full.source else {
            Issue.record("a bare source address is the preferred source")
            return
        }
        #expect(source == IPAddressValue("10.0.0.5"))
        #expect(full.scope == 253)
        #expect(full.flags == 4)

        route.source = "fd00::/48"
        route.dest = "fd00:1::/64"
        route.gateway = ""
        guard case .prefix(let prefix) = try NetworkRouteRequest(index: 0, route).source else {
            Issue.record("a source with a prefix length is a source prefix")
            return
        }
        #expect(prefix.length == 48)

        route.scope = 256
        #expect(throws: AgentError.self) { try NetworkRouteRequest(index: 3, route) }
        route.scope = 0
        route.device = ""
        let error = #expect(throws: AgentError.self) { try NetworkRouteRequest(index: 3, route) }
        #expect(error?.message.contains("routes[3]") == true)
        #expect(error?.message.contains("device is empty") == true)
    }

    @Test func interfaceRequestsValidateEveryField() throws {
        var interface = Types_Interface()
        interface.name = "eth0"
        interface.hwAddr = "02:00:00:00:00:01"
        interface.ipaddresses = [Types_IPAddress.with { $0.address = "10.0.0.2/24" }]
        let request = try NetworkInterfaceRequest(interface)
        #expect(request.addresses == [IPPrefixValue("10.0.0.2/24")])
        #expect(request.mtu == nil)

        interface.ipaddresses = [Types_IPAddress.with { $0.address = "10.0.0.2" }]
        let error = #expect(throws: AgentError.self) { try NetworkInterfaceRequest(interface) }
        #expect(error?.message.contains("IPAddresses[0].mask is empty") == true)

        interface.hwAddr = ""
        interface.name = ""
        #expect(throws: AgentError.self) { try NetworkInterfaceRequest(interface) }
        #expect(NetworkInterfaceRequest.nameProblem("eth0") == nil)
        #expect(NetworkInterfaceRequest.nameProblem("a/b") != nil)
        #expect(NetworkInterfaceRequest.nameProblem("sixteen-chars-xx") != nil)
    }

    @Test func messagesRoundTrip() throws {
        var message = NetlinkMessageBuilder(type: Netlink.newLink, flags: Netlink.request | Netlink.ack)
        message.append(bytes: Netlink.linkHeader(index: 7, flags: IFF.up, change: IFF.up))
        message.attribute(IFLA.name, string: "eth0")
        message.attribute(IFLA.mtu, uint32: 1400)
        message.attribute(IFLA.address, [2, 0, 0, 0, 0, 1])
        let bytes = message.finish(sequence: 42)
        #expect(bytes.count % 4 == 0)

        let replies = Netlink.split(bytes[...] + bytes[...])
        #expect(replies.count == 2)
        let reply = try #require(replies.first)
        #expect(reply.type == Netlink.newLink && reply.sequence == 42)
        let link = try #require(NetlinkLink(reply.payload))
        #expect(link.index == 7 && link.isUp && link.name == "eth0" && link.mtu == 1400)
        #expect(link.hardwareAddress == [2, 0, 0, 0, 0, 1])
        #expect(link.kind == nil)

        // A truncated datagram yields what is whole and no more.
        #expect(Netlink.split(bytes[...] + bytes.prefix(20)).count == 1)
        #expect(Netlink.attributes([0xFF, 0, 1, 0][...]).isEmpty)
    }

    @Test func kernelErrorsSayWhatFailed() {
        let error = NetlinkKernelError(code: 101, kernelMessage: "Nexthop has invalid gateway")
        #expect(error.description.contains("errno 101"))
        #expect(error.description.hasSuffix(": Nexthop has invalid gateway"))
        #expect(NetlinkKernelError(code: 22, kernelMessage: nil).errorClass == .invalidArgument)
        #expect(NetlinkKernelError(code: 17, kernelMessage: nil).errorClass == .alreadyExists)
    }
}
