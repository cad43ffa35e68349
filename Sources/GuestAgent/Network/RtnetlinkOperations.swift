import Glibc

/// The rtnetlink requests the network RPCs are made of, over one socket.
/// Kernel refusals surface as NetlinkKernelError, transport failures as
/// NetlinkTransportError; callers add what they were doing.
struct RtnetlinkOperations {
    let socket: RtnetlinkSocket

    // MARK: Dumps

    func links() throws -> [NetlinkLink] {
        var message = NetlinkMessageBuilder(type: Netlink.getLink, flags: Netlink.request | Netlink.dump)
        message.append(bytes: Netlink.linkHeader(index: 0))
        return try socket.dump(message, replyType: Netlink.newLink).compactMap(NetlinkLink.init)
    }

    /// Addresses of both families, of every link.
    func addresses() throws -> [NetlinkAddress] {
        var message = NetlinkMessageBuilder(type: Netlink.getAddress, flags: Netlink.request | Netlink.dump)
        message.append(bytes: Netlink.addressHeader(family: 0, prefixLength: 0, index: 0))
        return try socket.dump(message, replyType: Netlink.newAddress).compactMap(NetlinkAddress.init)
    }

    /// Routes of one family, of every table.
    func routes(family: UInt8) throws -> [NetlinkRoute] {
        var message = NetlinkMessageBuilder(type: Netlink.getRoute, flags: Netlink.request | Netlink.dump)
        message.append(bytes: Netlink.routeHeader(family: family, destinationLength: 0, sourceLength: 0, table: 0,
                                          protocolID: 0, scope: 0, type: 0, flags: 0))
        return try socket.dump(message, replyType: Netlink.newRoute).compactMap(NetlinkRoute.init)
    }

    // MARK: Links

    /// RTM_NEWLINK on an existing link: name and MTU when given, and the flag
    /// bits in `change` set to those in `flags`.
    func setLink(index: Int32, name: String? = nil, mtu: UInt32? = nil,
                 flags: UInt32 = 0, change: UInt32 = 0) throws {
        var message = NetlinkMessageBuilder(type: Netlink.newLink, flags: Netlink.request | Netlink.ack)
        message.append(bytes: Netlink.linkHeader(index: index, flags: flags, change: change))
        if let name { message.attribute(IFLA.name, string: name) }
        if let mtu { message.attribute(IFLA.mtu, uint32: mtu) }
        try socket.acknowledge(message)
    }

    func setLinkUp(index: Int32, _ up: Bool) throws {
        try setLink(index: index, flags: up ? IFF.up : 0, change: IFF.up)
    }

    // MARK: Addresses

    func addAddress(index: Int32, _ prefix: IPPrefixValue) throws {
        var message = NetlinkMessageBuilder(
            type: Netlink.newAddress, flags: Netlink.request | Netlink.ack | Netlink.create | Netlink.exclusive)
        message.append(bytes: Netlink.addressHeader(
            family: prefix.address.family, prefixLength: prefix.length, index: index))
        message.attribute(IFA.address, prefix.address.bytes)
        if prefix.address.isIPv4 {
            message.attribute(IFA.local, prefix.address.bytes)
            // What `ip addr add ... brd +` sets; /31 and /32 have no broadcast.
            if prefix.length < 31 {
                message.attribute(IFA.broadcast,
                                  prefix.address.broadcast(prefixLength: Int(prefix.length)))
            }
        }
        try socket.acknowledge(message)
    }

    func deleteAddress(_ record: NetlinkAddress) throws {
        var message = NetlinkMessageBuilder(type: Netlink.deleteAddress, flags: Netlink.request | Netlink.ack)
        message.append(bytes: Netlink.addressHeader(family: record.family, prefixLength: record.prefixLength,
                                            scope: record.scope, index: record.index))
        if let local = record.local { message.attribute(IFA.local, local) }
        if let address = record.address { message.attribute(IFA.address, address) }
        try socket.acknowledge(message)
    }

    // MARK: Routes

    /// Adds a unicast route to the main table, with the protocol `boot` as
    /// Kata's agent does.
    func addRoute(_ route: NetworkRouteRequest, outputInterface: Int32?) throws {
        var message = NetlinkMessageBuilder(
            type: Netlink.newRoute, flags: Netlink.request | Netlink.ack | Netlink.create | Netlink.exclusive)
        var sourceLength: UInt8 = 0
        if case .prefix(let prefix) = route.source { sourceLength = prefix.length }
        message.append(bytes: Netlink.routeHeader(
            family: route.family, destinationLength: route.destination.length, sourceLength: sourceLength,
            table: RouteValue.tableMain, protocolID: RouteValue.protocolBoot, scope: route.scope,
            type: RouteValue.typeUnicast, flags: route.flags))
        if route.destination.length > 0 {
            message.attribute(RTA.destination, route.destination.address.bytes)
        }
        switch route.source {
        case .absent: break
        case .prefix(let prefix): message.attribute(RTA.source, prefix.address.bytes)
        case .preferred(let address): message.attribute(RTA.preferredSource, address.bytes)
        }
        if let outputInterface {
            message.attribute(RTA.outputInterface, uint32: UInt32(bitPattern: outputInterface))
        }
        if let gateway = route.gateway { message.attribute(RTA.gateway, gateway.bytes) }
        try socket.acknowledge(message)
    }

    /// Deletes exactly the route a dump returned: its key and next hop.
    func deleteRoute(_ record: NetlinkRoute) throws {
        var message = NetlinkMessageBuilder(type: Netlink.deleteRoute, flags: Netlink.request | Netlink.ack)
        let table = record.table <= 255 ? UInt8(record.table) : RouteValue.tableCompat
        message.append(bytes: Netlink.routeHeader(
            family: record.family, destinationLength: record.destinationLength, sourceLength: record.sourceLength,
            tos: record.tos, table: table, protocolID: record.protocolID, scope: record.scope, type: record.type,
            flags: 0))
        message.attribute(RTA.table, uint32: record.table)
        if let destination = record.destination { message.attribute(RTA.destination, destination) }
        if let source = record.source { message.attribute(RTA.source, source) }
        if let oif = record.outputInterface {
            message.attribute(RTA.outputInterface, uint32: UInt32(bitPattern: oif))
        }
        if let gateway = record.gateway { message.attribute(RTA.gateway, gateway) }
        if let priority = record.priority { message.attribute(RTA.priority, uint32: priority) }
        if let preferred = record.preferredSource { message.attribute(RTA.preferredSource, preferred) }
        try socket.acknowledge(message)
    }

    // MARK: Neighbours

    /// Creates or replaces a neighbour entry.
    func setNeighbor(index: Int32, address: IPAddressValue, linkLayerAddress: [UInt8]?,
                     state: UInt16, flags: UInt8) throws {
        var message = NetlinkMessageBuilder(
            type: Netlink.newNeighbor, flags: Netlink.request | Netlink.ack | Netlink.create | Netlink.replace)
        message.append(bytes: Netlink.neighborHeader(family: address.family, index: index, state: state, flags: flags))
        message.attribute(NDA.destination, address.bytes)
        if let linkLayerAddress { message.attribute(NDA.linkLayerAddress, linkLayerAddress) }
        try socket.acknowledge(message)
    }
}

/// A validated route of an UpdateRoutes request.
struct NetworkRouteRequest: Sendable {
    enum Source: Sendable {
        case absent
        /// RTA_PREFSRC: the source address for packets the host originates.
        case preferred(IPAddressValue)
        /// RTA_SRC: a source-specific route (IPv6 only, in practice).
        case prefix(IPPrefixValue)
    }

    var family: UInt8
    var destination: IPPrefixValue
    var gateway: IPAddressValue?
    var source: Source
    var device: String
    var scope: UInt8
    var flags: UInt32
}
