// rtnetlink wire format: nlmsghdr, the family headers (ifinfomsg, ifaddrmsg,
// rtmsg, ndmsg) and rtattr TLVs, all in host byte order with 4-byte alignment.
// The numbers come from linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
// linux/if_addr.h and linux/neighbour.h; Glibc does not export them to Swift.

enum Netlink {
    // Message types (nlmsghdr.nlmsg_type).
    static let error: UInt16 = 2
    static let done: UInt16 = 3

    static let newLink: UInt16 = 16
    static let getLink: UInt16 = 18
    static let newAddress: UInt16 = 20
    static let deleteAddress: UInt16 = 21
    static let getAddress: UInt16 = 22
    static let newRoute: UInt16 = 24
    static let deleteRoute: UInt16 = 25
    static let getRoute: UInt16 = 26
    static let newNeighbor: UInt16 = 28

    // nlmsghdr.nlmsg_flags.
    static let request: UInt16 = 0x1
    static let ack: UInt16 = 0x4
    static let dumpInterrupted: UInt16 = 0x10
    static let dump: UInt16 = 0x300
    static let replace: UInt16 = 0x100
    static let exclusive: UInt16 = 0x200
    static let create: UInt16 = 0x400
    // Flags of an NLMSG_ERROR answer.
    static let ackCapped: UInt16 = 0x100
    static let ackTLVs: UInt16 = 0x200

    // Socket options (SOL_NETLINK).
    static let solNetlink: Int32 = 270
    static let optionCapAck: Int32 = 10
    static let optionExtAck: Int32 = 11
    // NLMSGERR_ATTR_MSG: the kernel's text for an error.
    static let errorAttributeMessage: UInt16 = 1

    /// NUD_PERMANENT.
    static let neighborStatePermanent: UInt16 = 0x80

    static let headerSize = 16
    static func align(_ n: Int) -> Int { (n + 3) & ~3 }
}

/// Link attributes (IFLA_*).
enum IFLA {
    static let address: UInt16 = 1
    static let name: UInt16 = 3
    static let mtu: UInt16 = 4
    static let linkInfo: UInt16 = 18
    static let infoKind: UInt16 = 1  // inside linkInfo
}

/// Address attributes (IFA_*).
enum IFA {
    static let address: UInt16 = 1
    static let local: UInt16 = 2
    static let broadcast: UInt16 = 4
}

/// Route attributes (RTA_*).
enum RTA {
    static let destination: UInt16 = 1
    static let source: UInt16 = 2
    static let outputInterface: UInt16 = 4
    static let gateway: UInt16 = 5
    static let priority: UInt16 = 6
    static let preferredSource: UInt16 = 7
    static let table: UInt16 = 15
}

/// Neighbour attributes (NDA_*).
enum NDA {
    static let destination: UInt16 = 1
    static let linkLayerAddress: UInt16 = 2
}

/// Link flags (IFF_*).
enum IFF {
    static let up: UInt32 = 0x1
    static let loopback: UInt32 = 0x8
    static let noARP: UInt32 = 0x80
}

/// rtmsg field values: RT_TABLE_*, RTPROT_*, RTN_*, RTNH_F_*.
enum RouteValue {
    static let tableMain: UInt8 = 254
    static let tableCompat: UInt8 = 252
    static let protocolKernel: UInt8 = 2
    static let protocolBoot: UInt8 = 3
    static let typeUnicast: UInt8 = 1
    /// RTNH_F_ONLINK: the gateway is on the link even without a covering route.
    static let flagOnLink: UInt32 = 0x4
}

/// Appends host-order integers and aligned attributes to a netlink message.
struct NetlinkMessageBuilder {
    private(set) var bytes: [UInt8]

    init(type: UInt16, flags: UInt16) {
        bytes = []
        bytes.reserveCapacity(128)
        append(UInt32(0))  // length, set by finish
        append(type)
        append(flags)
        append(UInt32(0))  // sequence, set by finish
        append(UInt32(0))  // port id: the kernel fills it in
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    mutating func append(bytes more: [UInt8]) {
        bytes.append(contentsOf: more)
    }

    mutating func padToAlignment() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        padToAlignment()
        append(UInt16(4 + payload.count))
        append(type)
        bytes.append(contentsOf: payload)
        padToAlignment()
    }

    mutating func attribute(_ type: UInt16, uint32 value: UInt32) {
        attribute(type, withUnsafeBytes(of: value) { Array($0) })
    }

    mutating func attribute(_ type: UInt16, string: String) {
        attribute(type, Array(string.utf8) + [0])
    }

    /// The message with its length and sequence number filled in.
    func finish(sequence: UInt32) -> [UInt8] {
        var out = bytes
        withUnsafeBytes(of: UInt32(out.count)) { out.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: sequence) { out.replaceSubrange(8..<12, with: $0) }
        return out
    }
}

/// Reads host-order integers out of a received buffer; out-of-range reads give 0
/// rather than trapping, since the buffer comes from outside.
struct NetlinkByteReader {
    let bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    func read<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        let start = bytes.startIndex + offset
        guard offset >= 0, start + MemoryLayout<T>.size <= bytes.endIndex else { return 0 }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for i in 0..<MemoryLayout<T>.size { raw[i] = bytes[start + i] }
        }
        return value
    }

    func u8(_ offset: Int) -> UInt8 { read(UInt8.self, at: offset) }
    func u16(_ offset: Int) -> UInt16 { read(UInt16.self, at: offset) }
    func u32(_ offset: Int) -> UInt32 { read(UInt32.self, at: offset) }
    func i32(_ offset: Int) -> Int32 { read(Int32.self, at: offset) }
}

/// One message out of a netlink datagram.
struct NetlinkMessage {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    var payload: ArraySlice<UInt8>
}

extension Netlink {
    /// Splits a datagram into messages; stops at the first malformed header.
    static func split(_ datagram: ArraySlice<UInt8>) -> [NetlinkMessage] {
        var replies: [NetlinkMessage] = []
        var offset = datagram.startIndex
        while offset + Netlink.headerSize <= datagram.endIndex {
            let header = NetlinkByteReader(datagram[offset...])
            let length = Int(header.u32(0))
            guard length >= Netlink.headerSize, offset + length <= datagram.endIndex else { break }
            replies.append(NetlinkMessage(
                type: header.u16(4), flags: header.u16(6), sequence: header.u32(8),
                payload: datagram[(offset + Netlink.headerSize)..<(offset + length)]))
            offset += Netlink.align(length)
        }
        return replies
    }

    /// The attributes in `bytes` by type (the nested and byte-order bits masked
    /// off); a later duplicate replaces an earlier one.
    static func attributes(_ bytes: ArraySlice<UInt8>) -> [UInt16: ArraySlice<UInt8>] {
        var attributes: [UInt16: ArraySlice<UInt8>] = [:]
        var offset = bytes.startIndex
        while offset + 4 <= bytes.endIndex {
            let reader = NetlinkByteReader(bytes[offset...])
            let length = Int(reader.u16(0))
            guard length >= 4, offset + length <= bytes.endIndex else { break }
            attributes[reader.u16(2) & 0x3FFF] = bytes[(offset + 4)..<(offset + length)]
            offset += Netlink.align(length)
        }
        return attributes
    }

    /// A NUL-terminated attribute as a string.
    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func uint32(_ bytes: ArraySlice<UInt8>?) -> UInt32? {
        guard let bytes, bytes.count >= 4 else { return nil }
        return NetlinkByteReader(bytes).u32(0)
    }
}

// MARK: - Decoded objects

/// A link from an RTM_NEWLINK answer.
struct NetlinkLink: Sendable {
    var index: Int32
    var flags: UInt32
    var name: String
    var mtu: UInt32
    var hardwareAddress: [UInt8]
    /// IFLA_INFO_KIND ("veth", "bridge"...), nil for plain devices.
    var kind: String?

    /// Decodes an ifinfomsg and its attributes.
    init?(_ payload: ArraySlice<UInt8>) {
        guard payload.count >= 16 else { return nil }
        let header = NetlinkByteReader(payload)
        index = header.i32(4)
        flags = header.u32(8)
        let attributes = Netlink.attributes(payload.dropFirst(16))
        name = attributes[IFLA.name].map(Netlink.string) ?? ""
        mtu = Netlink.uint32(attributes[IFLA.mtu]) ?? 0
        hardwareAddress = attributes[IFLA.address].map(Array.init) ?? []
        if let info = attributes[IFLA.linkInfo],
           let kindBytes = Netlink.attributes(info)[IFLA.infoKind] {
            kind = Netlink.string(kindBytes)
        }
    }

    var isUp: Bool { flags & IFF.up != 0 }
    var isLoopback: Bool { flags & IFF.loopback != 0 }
}

/// An address from an RTM_NEWADDR answer.
struct NetlinkAddress: Sendable {
    var family: UInt8
    var prefixLength: UInt8
    var flags: UInt8
    var scope: UInt8
    var index: Int32
    var address: [UInt8]?
    var local: [UInt8]?

    init?(_ payload: ArraySlice<UInt8>) {
        guard payload.count >= 8 else { return nil }
        let header = NetlinkByteReader(payload)
        family = header.u8(0)
        prefixLength = header.u8(1)
        flags = header.u8(2)
        scope = header.u8(3)
        index = header.i32(4)
        let attributes = Netlink.attributes(payload.dropFirst(8))
        address = attributes[IFA.address].map(Array.init)
        local = attributes[IFA.local].map(Array.init)
    }

    /// The interface's own address: IFA_LOCAL where the kernel gives one
    /// (IFA_ADDRESS is then the peer of a point-to-point link).
    var ownAddress: [UInt8]? { local ?? address }
}

/// A route from an RTM_NEWROUTE answer.
struct NetlinkRoute: Sendable {
    var family: UInt8
    var destinationLength: UInt8
    var sourceLength: UInt8
    var tos: UInt8
    var table: UInt32
    var protocolID: UInt8
    var scope: UInt8
    var type: UInt8
    var flags: UInt32
    var destination: [UInt8]?
    var source: [UInt8]?
    var gateway: [UInt8]?
    var preferredSource: [UInt8]?
    var outputInterface: Int32?
    var priority: UInt32?

    init?(_ payload: ArraySlice<UInt8>) {
        guard payload.count >= 12 else { return nil }
        let header = NetlinkByteReader(payload)
        family = header.u8(0)
        destinationLength = header.u8(1)
        sourceLength = header.u8(2)
        tos = header.u8(3)
        protocolID = header.u8(5)
        scope = header.u8(6)
        type = header.u8(7)
        flags = header.u32(8)
        let attributes = Netlink.attributes(payload.dropFirst(12))
        // Tables above 255 only fit in RTA_TABLE.
        table = Netlink.uint32(attributes[RTA.table]) ?? UInt32(header.u8(4))
        destination = attributes[RTA.destination].map(Array.init)
        source = attributes[RTA.source].map(Array.init)
        gateway = attributes[RTA.gateway].map(Array.init)
        preferredSource = attributes[RTA.preferredSource].map(Array.init)
        outputInterface = Netlink.uint32(attributes[RTA.outputInterface]).map { Int32(bitPattern: $0) }
        priority = Netlink.uint32(attributes[RTA.priority])
    }
}

// MARK: - Request headers

extension Netlink {
    /// ifinfomsg: family, pad, type, index, flags, change.
    static func linkHeader(index: Int32, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0]
        withUnsafeBytes(of: index) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: flags) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: change) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// ifaddrmsg: family, prefix length, flags, scope, index.
    static func addressHeader(family: UInt8, prefixLength: UInt8, scope: UInt8 = 0, index: Int32) -> [UInt8] {
        var bytes: [UInt8] = [family, prefixLength, 0, scope]
        withUnsafeBytes(of: index) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
    static func routeHeader(family: UInt8, destinationLength: UInt8, sourceLength: UInt8, tos: UInt8 = 0,
                            table: UInt8, protocolID: UInt8, scope: UInt8, type: UInt8, flags: UInt32) -> [UInt8] {
        var bytes: [UInt8] = [family, destinationLength, sourceLength, tos, table, protocolID, scope, type]
        withUnsafeBytes(of: flags) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// ndmsg: family, pad, pad, index, state, flags, type.
    static func neighborHeader(family: UInt8, index: Int32, state: UInt16, flags: UInt8) -> [UInt8] {
        var bytes: [UInt8] = [family, 0, 0, 0]
        withUnsafeBytes(of: index) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: state) { bytes.append(contentsOf: $0) }
        bytes.append(flags)
        bytes.append(0)
        return bytes
    }
}
