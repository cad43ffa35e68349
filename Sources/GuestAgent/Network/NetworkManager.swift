import Glibc
import NIOConcurrencyHelpers
import NIOPosix
import Protocols
import TTRPC

/// The agent's network RPCs — UpdateInterface, UpdateRoutes, ListInterfaces,
/// ListRoutes and AddARPNeighbors — over rtnetlink, with the semantics of
/// Kata's agent (`src/agent/src/netlink.rs`).
///
/// Works on the network namespace the agent runs in, or on the one at
/// `namespacePath`: the netlink socket is created inside that namespace and
/// stays bound to it. Calls are serialised and run on NIO's blocking thread
/// pool, never on Swift's cooperative one. Every error is an ``AgentError``
/// that names the interface, route or neighbour and what the kernel answered.
public final class NetworkManager: Sendable {
    /// The network namespace file the manager works on (e.g. `/run/netns/NAME`),
    /// nil for the agent's own namespace.
    public let namespacePath: String?
    /// Opened on first use; replaced after a transport failure.
    private let connection: NIOLockedValueBox<RtnetlinkSocket?>

    /// - Parameter namespacePath: a network namespace file such as
    ///   `/run/netns/NAME` or `/proc/PID/ns/net`; nil for the caller's own.
    public init(namespacePath: String? = nil) {
        self.namespacePath = namespacePath
        self.connection = NIOLockedValueBox(nil)
    }

    // MARK: - RPCs on their protocol messages

    /// UpdateInterface: finds the link by `hwAddr` (by `device`, then `name`,
    /// when `hwAddr` is empty), renames it to `name`, sets its MTU, replaces
    /// its addresses with `IPAddresses`, sets ARP from the `IFF_NOARP` bit of
    /// `raw_flags` and brings it up.
    ///
    /// - Returns: the interface as the kernel now reports it (`devicePath` is
    ///   copied from the request).
    /// - Throws: ``AgentError`` `.notFound` with "Link not found" when no link
    ///   has that MAC address, `.invalidArgument` for malformed fields (checked
    ///   before anything changes), and the kernel's answer for failed steps.
    public func updateInterface(_ interface: Types_Interface) async throws -> Types_Interface {
        let request = try NetworkInterfaceRequest(interface)
        return try await withOperations { try request.apply($0) }
    }

    /// UpdateRoutes: deletes the main table's routes except those the kernel
    /// made (`proto kernel`: the prefix routes of addresses and IPv6 link-local
    /// ones), routes without a single output device and loopback routes, then
    /// adds `routes`, those without a gateway first.
    ///
    /// `dest` is `default` (or empty) or an address/prefix; `source` is a
    /// preferred source address, or a prefix for a source-specific route.
    /// Every route is validated and its device resolved before any is deleted.
    ///
    /// - Returns: the routes now in the main table, as ``listRoutes(family:)``.
    public func updateRoutes(_ routes: [Types_Route]) async throws -> [Types_Route] {
        let requests = try routes.enumerated().map { try NetworkRouteRequest(index: $0.offset, $0.element) }
        return try await withOperations { operations in
            try replaceRoutes(with: requests, originals: routes, operations)
            return try readRoutes(family: nil, operations)
        }
    }

    /// ListInterfaces: every link with its addresses.
    public func listInterfaces() async throws -> [Types_Interface] {
        try await withOperations { operations in
            let links = try step("list interfaces: dumping links") { try operations.links() }
            let addresses = try step("list interfaces: dumping addresses") { try operations.addresses() }
            return links.map { interfaceMessage($0, addresses: addresses) }
        }
    }

    /// ListRoutes: the routes of the main table, IPv4 then IPv6, or of one family.
    public func listRoutes(family: Types_IPFamily? = nil) async throws -> [Types_Route] {
        if case .UNRECOGNIZED(let value)? = family {
            throw AgentError.invalid("list routes: family \(value) is neither v4 nor v6")
        }
        return try await withOperations { try readRoutes(family: family, $0) }
    }

    /// AddARPNeighbors: creates or replaces each neighbour entry; `state` 0
    /// means permanent (`NUD_PERMANENT`), `flags` are `NTF_*` bits.
    public func addARPNeighbors(_ neighbors: [Types_ARPNeighbor]) async throws {
        let requests = try neighbors.enumerated().map { try NetworkNeighborRequest(index: $0.offset, $0.element) }
        try await withOperations { operations in
            let links = try step("add ARP neighbors: dumping links") { try operations.links() }
            for request in requests {
                guard let link = links.first(where: { $0.name == request.device }) else {
                    throw AgentError.notFound(
                        "\(request.context): device \"\(request.device)\": Link not found (Name: \(request.device))")
                }
                try step(request.context) {
                    try operations.setNeighbor(index: link.index, address: request.address,
                                               linkLayerAddress: request.linkLayerAddress,
                                               state: request.state, flags: request.flags)
                }
            }
        }
    }

    /// Brings the loopback link up, as Kata's agent does when it sets up the
    /// sandbox (a new network namespace starts with `lo` down).
    public func bringLoopbackUp() async throws {
        try await withOperations { operations in
            let links = try step("bring up lo: dumping links") { try operations.links() }
            guard let loopback = links.first(where: { $0.name == "lo" }) else {
                throw AgentError.notFound("bring up lo: Link not found (Name: lo)")
            }
            try step("bring up lo") { try operations.setLinkUp(index: loopback.index, true) }
        }
    }

    // MARK: - RPCs on their request messages

    /// The UpdateInterface RPC.
    public func updateInterface(_ request: Grpc_UpdateInterfaceRequest) async throws -> Types_Interface {
        guard request.hasInterface else { throw AgentError.invalid("update interface: empty request (no interface)") }
        return try await updateInterface(request.interface)
    }

    /// The UpdateRoutes RPC.
    public func updateRoutes(_ request: Grpc_UpdateRoutesRequest) async throws -> Grpc_Routes {
        guard request.hasRoutes else { throw AgentError.invalid("update routes: empty request (no routes)") }
        var reply = Grpc_Routes()
        reply.routes = try await updateRoutes(request.routes.routes)
        return reply
    }

    /// The ListInterfaces RPC.
    public func listInterfaces(_ request: Grpc_ListInterfacesRequest) async throws -> Grpc_Interfaces {
        var reply = Grpc_Interfaces()
        reply.interfaces = try await listInterfaces()
        return reply
    }

    /// The ListRoutes RPC.
    public func listRoutes(_ request: Grpc_ListRoutesRequest) async throws -> Grpc_Routes {
        var reply = Grpc_Routes()
        reply.routes = try await listRoutes()
        return reply
    }

    /// The AddARPNeighbors RPC.
    public func addARPNeighbors(_ request: Grpc_AddARPNeighborsRequest) async throws {
        try await addARPNeighbors(request.neighbors.arpneighbors)
    }

    // MARK: - Running netlink work

    /// Runs `body` on NIO's thread pool with the socket, one call at a time.
    private func withOperations<T: Sendable>(
        _ body: @escaping @Sendable (RtnetlinkOperations) throws -> T
    ) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { [connection, namespacePath] in
            try connection.withLockedValue { socket in
                let current: RtnetlinkSocket
                if let socket {
                    current = socket
                } else {
                    do {
                        current = try RtnetlinkSocket(namespacePath: namespacePath)
                    } catch {
                        throw AgentError.failed("\(error)")
                    }
                    socket = current
                }
                defer { if current.isBroken { socket = nil } }
                return try body(RtnetlinkOperations(socket: current))
            }
        }
    }
}

/// Runs one netlink step, turning its failure into an AgentError that says
/// what was being done.
private func step<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as NetlinkKernelError {
        throw AgentError(error.errorClass, "\(what()): \(error)")
    } catch let error as NetlinkTransportError {
        throw AgentError.failed("\(what()): \(error)")
    }
}

// MARK: - UpdateInterface

/// A validated UpdateInterface request.
struct NetworkInterfaceRequest: Sendable {
    /// "update interface NAME (hwAddr MAC)", the prefix of every error.
    var context: String
    var hardwareAddress: [UInt8]?
    var hardwareAddressText: String
    /// The names to look the link up by when there is no MAC address.
    var lookupNames: [String]
    var name: String?
    var mtu: UInt32?
    var addresses: [IPPrefixValue]
    var noARP: Bool
    var devicePath: String

    init(_ interface: Types_Interface) throws {
        let label = !interface.name.isEmpty ? interface.name : interface.device
        context = "update interface \(label.isEmpty ? "?" : label)"
            + (interface.hwAddr.isEmpty ? "" : " (hwAddr \(interface.hwAddr))")
        hardwareAddressText = interface.hwAddr
        if interface.hwAddr.isEmpty {
            hardwareAddress = nil
            lookupNames = [interface.device, interface.name].filter { !$0.isEmpty }
            guard !lookupNames.isEmpty else {
                throw AgentError.invalid("\(context): hwAddr, device and name are all empty")
            }
        } else {
            guard let mac = MACAddress.parse(interface.hwAddr) else {
                throw AgentError.invalid("\(context): hwAddr \"\(interface.hwAddr)\" is not a MAC address")
            }
            hardwareAddress = mac
            lookupNames = []
        }
        if !interface.name.isEmpty {
            if let problem = Self.nameProblem(interface.name) {
                throw AgentError.invalid("\(context): name \"\(interface.name)\" \(problem)")
            }
            name = interface.name
        }
        // 0 keeps the MTU the link has.
        if interface.mtu != 0 {
            guard let mtu = UInt32(exactly: interface.mtu) else {
                throw AgentError.invalid("\(context): mtu \(interface.mtu) is out of range")
            }
            self.mtu = mtu
        }
        addresses = []
        for (index, entry) in interface.ipaddresses.enumerated() {
            let prefix = try Self.parseAddress(entry, field: "IPAddresses[\(index)]", context: context)
            if !addresses.contains(prefix) { addresses.append(prefix) }
        }
        noARP = interface.rawFlags & IFF.noARP != 0
        devicePath = interface.devicePath
    }

    /// Why the kernel would refuse `name` as a link name (dev_valid_name), or nil.
    static func nameProblem(_ name: String) -> String? {
        if name.utf8.count > 15 { return "is longer than 15 bytes" }
        if name == "." || name == ".." { return "is not a valid link name" }
        if name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
            return "contains '/', ':' or white space"
        }
        return nil
    }

    static func parseAddress(_ entry: Types_IPAddress, field: String, context: String) throws -> IPPrefixValue {
        var text = entry.address
        var mask = entry.mask
        guard !text.isEmpty else { throw AgentError.invalid("\(context): \(field).address is empty") }
        // Tolerate "ADDRESS/LENGTH" with the mask left empty.
        if mask.isEmpty, let slash = text.firstIndex(of: "/") {
            mask = String(text[text.index(after: slash)...])
            text = String(text[..<slash])
        }
        guard let address = IPAddressValue(text) else {
            throw AgentError.invalid(
                "\(context): \(field).address \"\(entry.address)\" is not an IPv4 or IPv6 address")
        }
        guard !mask.isEmpty else {
            throw AgentError.invalid("\(context): \(field).mask is empty: it must be the prefix length of \(address)")
        }
        guard let length = IPPrefixValue.parseLength(Substring(mask), bitLength: address.bitLength) else {
            throw AgentError.invalid("\(context): \(field).mask \"\(entry.mask)\" is not a prefix length for "
                + "\(address) (a decimal number from 0 to \(address.bitLength))")
        }
        return IPPrefixValue(address: address, length: length)
    }

    func apply(_ operations: RtnetlinkOperations) throws -> Types_Interface {
        let links = try step("\(context): dumping links") { try operations.links() }
        let link: NetlinkLink
        if let hardwareAddress {
            // Kata finds the link by MAC: the name in the VM is the kernel's.
            guard let found = links.first(where: { $0.hardwareAddress == hardwareAddress }) else {
                throw AgentError.notFound("\(context): Link not found (Address: \(hardwareAddressText))")
            }
            link = found
        } else {
            guard let found = lookupNames.lazy.compactMap({ name in links.first { $0.name == name } }).first else {
                throw AgentError.notFound("\(context): Link not found (Name: \(lookupNames[0]))")
            }
            link = found
        }
        let index = link.index

        // Renaming needs the link down.
        if link.isUp {
            try step("\(context): setting \(link.name) down") { try operations.setLinkUp(index: index, false) }
        }
        // Before the renaming, so that a refused MTU leaves the name alone, and
        // before the addresses: below 1280 bytes the kernel drops IPv6 from the link.
        if let mtu, mtu != link.mtu {
            try step("\(context): setting MTU \(mtu)") { try operations.setLink(index: index, mtu: mtu) }
        }
        if let name, name != link.name {
            if let holder = links.first(where: { $0.name == name && $0.index != index }) {
                try swapNames(link, holder, links: links, operations)
            } else {
                try step("\(context): renaming \(link.name) to \(name)") {
                    try operations.setLink(index: index, name: name)
                }
            }
        }

        let old = try step("\(context): dumping addresses") { try operations.addresses() }
            .filter { $0.index == index }
        for record in old {
            let text = record.ownAddress.flatMap(IPAddressValue.format) ?? "?"
            do {
                try step("\(context): deleting address \(text)/\(record.prefixLength)") {
                    try operations.deleteAddress(record)
                }
            } catch let error as AgentError where error.errorClass == .notFound {
                // Gone already: deleting a primary IPv4 address takes its secondaries along.
                continue
            }
        }
        for prefix in addresses {
            try step("\(context): adding address \(prefix)") { try operations.addAddress(index: index, prefix) }
        }

        try step("\(context): bringing the link up") {
            try operations.setLink(index: index, flags: IFF.up | (noARP ? IFF.noARP : 0),
                                   change: IFF.up | IFF.noARP)
        }

        let now = try step("\(context): dumping links") { try operations.links() }
        guard let updated = now.first(where: { $0.index == index }) else {
            throw AgentError.notFound("\(context): the link disappeared during the update")
        }
        let addresses = try step("\(context): dumping addresses") { try operations.addresses() }
        var result = interfaceMessage(updated, addresses: addresses)
        result.devicePath = devicePath
        return result
    }

    /// Gives `link` the name `holder` has and `holder` the name `link` had, as
    /// Kata does when the wanted name is taken (the kernel's eth0 may be the
    /// host's eth1).
    private func swapNames(_ link: NetlinkLink, _ holder: NetlinkLink, links: [NetlinkLink],
                           _ operations: RtnetlinkOperations) throws {
        let taken = Set(links.map(\.name))
        var temporary = "kswap\(holder.index)"
        var suffix = 0
        while taken.contains(temporary) {
            suffix += 1
            temporary = "kswap\(holder.index)_\(suffix)"
        }
        let what = "\(context): swapping names with \(holder.name)"
        try step("\(what): setting \(holder.name) down") {
            if holder.isUp { try operations.setLinkUp(index: holder.index, false) }
            try operations.setLink(index: holder.index, name: temporary)
        }
        try step("\(what): renaming \(link.name) to \(holder.name)") {
            try operations.setLink(index: link.index, name: holder.name)
        }
        try step("\(what): renaming \(holder.name) to \(link.name)") {
            try operations.setLink(index: holder.index, name: link.name)
            if holder.isUp { try operations.setLinkUp(index: holder.index, true) }
        }
    }
}

/// A link and its addresses in Kata's Interface message.
private func interfaceMessage(_ link: NetlinkLink, addresses: [NetlinkAddress]) -> Types_Interface {
    var interface = Types_Interface()
    interface.device = link.name
    interface.name = link.name
    interface.mtu = UInt64(link.mtu)
    interface.hwAddr = MACAddress.format(link.hardwareAddress)
    // Plain devices (virtio-net, loopback) have no kind; Kata's Go agent said "device".
    interface.type = link.kind ?? "device"
    interface.rawFlags = link.flags
    interface.ipaddresses = addresses.filter { $0.index == link.index }.compactMap { record in
        guard let bytes = record.ownAddress, let text = IPAddressValue.format(bytes) else { return nil }
        var address = Types_IPAddress()
        address.family = bytes.count == 4 ? .v4 : .v6
        address.address = text
        address.mask = String(record.prefixLength)
        return address
    }
    return interface
}

// MARK: - UpdateRoutes and ListRoutes

extension NetworkRouteRequest {
    /// Validates routes[index] of an UpdateRoutes request.
    init(index: Int, _ route: Types_Route) throws {
        let context = routeContext(index: index, route)
        var families: Set<UInt8> = []

        if route.gateway.isEmpty {
            gateway = nil
        } else {
            guard let address = IPAddressValue(route.gateway) else {
                throw AgentError.invalid("\(context): gateway \"\(route.gateway)\" is not an IPv4 or IPv6 address")
            }
            gateway = address
            families.insert(address.family)
        }

        if route.source.isEmpty {
            source = .absent
        } else {
            guard let prefix = IPPrefixValue(route.source) else {
                throw AgentError.invalid("\(context): source \"\(route.source)\" is not an address or address/prefix")
            }
            // A bare address (or "/0", as Kata reads it) is the preferred source.
            source = prefix.explicitLength && prefix.length > 0 ? .prefix(prefix) : .preferred(prefix.address)
            families.insert(prefix.address.family)
        }

        var destination: IPPrefixValue?
        if route.dest.isEmpty || route.dest == "default" {
            destination = nil
        } else {
            guard let prefix = IPPrefixValue(route.dest) else {
                throw AgentError.invalid(
                    "\(context): dest \"\(route.dest)\" is neither \"default\" nor an address/prefix")
            }
            families.insert(prefix.address.family)
            // Kata lists a gateway route's dest as a bare 0.0.0.0 (or ::): take it back as default.
            if !prefix.explicitLength && prefix.address.isUnspecified {
                destination = nil
            } else {
                guard !prefix.address.hasHostBits(prefixLength: Int(prefix.length)) else {
                    throw AgentError.invalid(
                        "\(context): dest \"\(route.dest)\" has address bits set beyond its prefix length")
                }
                destination = prefix
            }
        }

        if families.count > 1 {
            throw AgentError.invalid("\(context): mixes IPv4 and IPv6 addresses")
        } else if let only = families.first {
            family = only
        } else {
            // Only the family field says which default route this is.
            switch route.family {
            case .v4: family = IPAddressValue.inet
            case .v6: family = IPAddressValue.inet6
            case .UNRECOGNIZED(let value):
                throw AgentError.invalid("\(context): family \(value) is neither v4 nor v6")
            }
        }
        let unspecified = [UInt8](repeating: 0, count: family == IPAddressValue.inet ? 4 : 16)
        self.destination = destination ?? IPPrefixValue(address: IPAddressValue(bytes: unspecified)!, length: 0)

        guard route.scope <= 255 else {
            throw AgentError.invalid("\(context): scope \(route.scope) is out of range 0-255")
        }
        scope = UInt8(route.scope)
        // Of the RTNH_F_* bits only "onlink" means something in a request.
        flags = route.flags & RouteValue.flagOnLink
        device = route.device
        if device.isEmpty && gateway == nil {
            throw AgentError.invalid("\(context): device is empty and there is no gateway")
        }
    }
}

private func routeContext(index: Int, _ route: Types_Route) -> String {
    var parts = ["dest \(route.dest.isEmpty ? "default" : route.dest)"]
    if !route.gateway.isEmpty { parts.append("gateway \(route.gateway)") }
    if !route.device.isEmpty { parts.append("device \(route.device)") }
    if !route.source.isEmpty { parts.append("source \(route.source)") }
    return "update routes: routes[\(index)] (\(parts.joined(separator: ", ")))"
}

/// The replacement half of UpdateRoutes; the caller lists the result.
private func replaceRoutes(with requests: [NetworkRouteRequest], originals: [Types_Route],
                           _ operations: RtnetlinkOperations) throws {
    let links = try step("update routes: dumping links") { try operations.links() }
    var interfaces: [Int32?] = []
    for (index, request) in requests.enumerated() {
        if request.device.isEmpty {
            interfaces.append(nil)
            continue
        }
        guard let link = links.first(where: { $0.name == request.device }) else {
            throw AgentError.notFound("\(routeContext(index: index, originals[index])): device \"\(request.device)\": "
                + "Link not found (Name: \(request.device))")
        }
        interfaces.append(link.index)
    }

    let linksByIndex = Dictionary(links.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
    var old: [NetlinkRoute] = []
    for family in [IPAddressValue.inet, IPAddressValue.inet6] {
        old += try step("update routes: dumping routes") { try operations.routes(family: family) }
    }
    for record in old where isReplaceable(record, linksByIndex: linksByIndex) {
        do {
            try step("update routes: deleting route \(describe(record, linksByIndex: linksByIndex))") {
                try operations.deleteRoute(record)
            }
        } catch let error as AgentError where error.errorClass == .notFound {
            continue  // already gone with its address or device
        }
    }

    // Without a gateway first, so that gateways are reachable when their routes go in.
    let order = requests.indices.filter { requests[$0].gateway == nil }
        + requests.indices.filter { requests[$0].gateway != nil }
    for index in order {
        do {
            try step("\(routeContext(index: index, originals[index])): adding the route") {
                try operations.addRoute(requests[index], outputInterface: interfaces[index])
            }
        } catch let error as AgentError where error.errorClass == .alreadyExists {
            // As Kata: a route the kernel already made (a prefix route) is fine.
            continue
        }
    }
}

/// Whether UpdateRoutes deletes an existing route: main table, not made by
/// the kernel, one output device that is not a loopback.
private func isReplaceable(_ record: NetlinkRoute, linksByIndex: [Int32: NetlinkLink]) -> Bool {
    guard record.table == UInt32(RouteValue.tableMain),
          record.protocolID != RouteValue.protocolKernel,
          let oif = record.outputInterface else { return false }
    return !(linksByIndex[oif]?.isLoopback ?? false)
}

private func describe(_ record: NetlinkRoute, linksByIndex: [Int32: NetlinkLink]) -> String {
    let message = routeMessage(record, linksByIndex: linksByIndex)
    var text = message.dest
    if !message.gateway.isEmpty { text += " via \(message.gateway)" }
    if !message.device.isEmpty { text += " dev \(message.device)" }
    return text
}

private func readRoutes(family: Types_IPFamily?, _ operations: RtnetlinkOperations) throws -> [Types_Route] {
    let links = try step("list routes: dumping links") { try operations.links() }
    let linksByIndex = Dictionary(links.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
    var families: [UInt8] = []
    if family != .v6 { families.append(IPAddressValue.inet) }
    if family != .v4 { families.append(IPAddressValue.inet6) }
    var routes: [Types_Route] = []
    for family in families {
        let records = try step("list routes: dumping routes") { try operations.routes(family: family) }
        routes += records.filter { $0.table == UInt32(RouteValue.tableMain) }
            .map { routeMessage($0, linksByIndex: linksByIndex) }
    }
    return routes
}

/// A route in Kata's Route message: `dest` is "default" or ADDRESS/LENGTH,
/// `source` a source prefix (RTA_SRC) or else the preferred source address
/// (RTA_PREFSRC), `flags` the RTNH_F_* bits.
private func routeMessage(_ record: NetlinkRoute, linksByIndex: [Int32: NetlinkLink]) -> Types_Route {
    var route = Types_Route()
    route.family = record.family == IPAddressValue.inet6 ? .v6 : .v4
    if record.destinationLength == 0 {
        route.dest = "default"
    } else if let destination = record.destination.flatMap(IPAddressValue.format) {
        route.dest = "\(destination)/\(record.destinationLength)"
    }
    if let gateway = record.gateway.flatMap(IPAddressValue.format) { route.gateway = gateway }
    if let oif = record.outputInterface { route.device = linksByIndex[oif]?.name ?? "" }
    if let source = record.source.flatMap(IPAddressValue.format) {
        route.source = "\(source)/\(record.sourceLength)"
    } else if let preferred = record.preferredSource.flatMap(IPAddressValue.format) {
        route.source = preferred
    }
    route.scope = UInt32(record.scope)
    route.flags = record.flags & 0xFF
    return route
}

// MARK: - AddARPNeighbors

/// A validated neighbour of an AddARPNeighbors request.
struct NetworkNeighborRequest: Sendable {
    var context: String
    var address: IPAddressValue
    var device: String
    var linkLayerAddress: [UInt8]?
    var state: UInt16
    var flags: UInt8

    init(index: Int, _ neighbor: Types_ARPNeighbor) throws {
        let text = neighbor.toIpaddress.address
        context = "add ARP neighbors: ARPNeighbors[\(index)] (\(text.isEmpty ? "?" : text)"
            + (neighbor.device.isEmpty ? ")" : " dev \(neighbor.device))")
        guard !text.isEmpty else { throw AgentError.invalid("\(context): toIPAddress.address is empty") }
        guard let address = IPAddressValue(text) else {
            throw AgentError.invalid("\(context): toIPAddress.address \"\(text)\" is not an IPv4 or IPv6 address")
        }
        self.address = address
        guard !neighbor.device.isEmpty else { throw AgentError.invalid("\(context): device is empty") }
        device = neighbor.device
        if neighbor.lladdr.isEmpty {
            linkLayerAddress = nil
        } else {
            guard let mac = MACAddress.parse(neighbor.lladdr) else {
                throw AgentError.invalid("\(context): lladdr \"\(neighbor.lladdr)\" is not a MAC address")
            }
            linkLayerAddress = mac
        }
        guard let state = UInt16(exactly: neighbor.state) else {
            throw AgentError.invalid("\(context): state \(neighbor.state) is out of range 0-65535")
        }
        self.state = state == 0 ? Netlink.neighborStatePermanent : state
        guard let flags = UInt8(exactly: neighbor.flags) else {
            throw AgentError.invalid("\(context): flags \(neighbor.flags) is out of range 0-255")
        }
        self.flags = flags
    }
}
