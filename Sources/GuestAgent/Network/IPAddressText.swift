import Glibc

/// An IPv4 or IPv6 address in network byte order.
struct IPAddressValue: Equatable, Sendable, CustomStringConvertible {
    /// AF_INET and AF_INET6 as netlink headers carry them.
    static let inet: UInt8 = 2
    static let inet6: UInt8 = 10

    var bytes: [UInt8]

    init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (inet_pton: no prefix, no zone).
    init?(_ text: String) {
        var v4 = [UInt8](repeating: 0, count: 4)
        if v4.withUnsafeMutableBytes({ inet_pton(AF_INET, text, $0.baseAddress) }) == 1 {
            bytes = v4
            return
        }
        var v6 = [UInt8](repeating: 0, count: 16)
        if v6.withUnsafeMutableBytes({ inet_pton(AF_INET6, text, $0.baseAddress) }) == 1 {
            bytes = v6
            return
        }
        return nil
    }

    var isIPv4: Bool { bytes.count == 4 }
    var family: UInt8 { isIPv4 ? Self.inet : Self.inet6 }
    var bitLength: Int { bytes.count * 8 }
    var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    var description: String { Self.format(bytes) ?? "?" }

    /// Whether bits past the first `prefixLength` are set.
    func hasHostBits(prefixLength: Int) -> Bool {
        for bit in prefixLength..<bitLength where bytes[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            return true
        }
        return false
    }

    /// The IPv4 broadcast address of the prefix.
    func broadcast(prefixLength: Int) -> [UInt8] {
        var out = bytes
        for bit in prefixLength..<bitLength { out[bit / 8] |= 0x80 >> UInt8(bit % 8) }
        return out
    }
}

extension IPAddressValue {
    /// inet_ntop for 4- or 16-byte addresses; nil for any other length.
    static func format<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        let array = Array(bytes)
        let family: Int32
        switch array.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var text = [CChar](repeating: 0, count: 64)
        let ok = array.withUnsafeBytes { raw in
            text.withUnsafeMutableBufferPointer { inet_ntop(family, raw.baseAddress, $0.baseAddress, 64) != nil }
        }
        guard ok else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// "ADDRESS/LENGTH", or a bare address taken as a host prefix.
struct IPPrefixValue: Equatable, Sendable, CustomStringConvertible {
    var address: IPAddressValue
    var length: UInt8
    /// Whether the text had an explicit "/LENGTH".
    var explicitLength: Bool

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddressValue(String(parts[0])) else { return nil }
        self.address = address
        if parts.count == 2 {
            guard let length = Self.parseLength(parts[1], bitLength: address.bitLength) else { return nil }
            self.length = length
            explicitLength = true
        } else {
            length = UInt8(address.bitLength)
            explicitLength = false
        }
    }

    init(address: IPAddressValue, length: UInt8) {
        self.address = address
        self.length = length
        explicitLength = true
    }

    var description: String { "\(address)/\(length)" }

    /// Parses a decimal prefix length for an address of `bitLength` bits.
    static func parseLength(_ text: Substring, bitLength: Int) -> UInt8? {
        guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(text), value <= bitLength else { return nil }
        return UInt8(value)
    }
}

/// MAC addresses as text.
enum MACAddress {
    /// Parses six groups of one or two hex digits separated by ':' (or '-'),
    /// in either case.
    static func parse(_ text: String) -> [UInt8]? {
        let groups = text.split(separator: text.contains("-") ? "-" : ":", omittingEmptySubsequences: false)
        guard groups.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for group in groups {
            guard (1...2).contains(group.count), group.allSatisfy(\.isHexDigit),
                  let value = UInt8(group, radix: 16) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// Lowercase colon-separated hex, as `ip link` prints it (any length).
    static func format(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }
}
