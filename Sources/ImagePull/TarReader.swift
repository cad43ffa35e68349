/// Reads a tar stream (ustar, GNU long names, PAX extended headers) entry by
/// entry without seeking, so that it can read straight out of gzip.
struct TarReader<Source: ByteSource> {
    private var source: Source
    /// For messages: which layer.
    private let name: String
    /// Content bytes of the current entry not yet read, and its padding.
    private var remaining = 0
    private var padding = 0
    private var block = [UInt8](repeating: 0, count: 512)
    private var contents = [UInt8](repeating: 0, count: 65536)

    init(_ source: Source, name: String) {
        self.source = source
        self.name = name
    }

    private func malformed(_ what: String) -> ImagePullError {
        ImagePullError(.malformed, "\(name): not a valid tar layer: \(what)")
    }

    /// Fills the first `count` bytes of `bytes`; false if the stream ends before the first one.
    private mutating func readFully(_ bytes: inout [UInt8], count: Int) throws(ImagePullError) -> Bool {
        var offset = 0
        while offset < count {
            let start = offset
            let n = try retyped {
                try bytes.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[start..<count])) }
            }
            if n == 0 {
                if offset == 0 { return false }
                throw malformed("the stream ends inside a block")
            }
            offset += n
        }
        return true
    }

    // The buffers are moved out while filled (no copy: the array stays
    // uniquely referenced), as `self` cannot be borrowed twice.
    private mutating func readBlock() throws(ImagePullError) -> Bool {
        try fill(\.block, count: 512)
    }

    private mutating func fill(_ field: WritableKeyPath<TarReader, [UInt8]>, count: Int) throws(ImagePullError) -> Bool {
        var buffer = self[keyPath: field]
        self[keyPath: field] = []
        defer { self[keyPath: field] = buffer }
        return try readFully(&buffer, count: count)
    }

    /// Passes the current entry's content to `body` piece by piece.
    mutating func readContents(_ body: (UnsafeRawBufferPointer) throws(ImagePullError) -> Void) throws(ImagePullError) {
        while remaining > 0 {
            let want = min(remaining, contents.count)
            guard try fill(\.contents, count: want) else { throw malformed("the stream ends inside an entry's content") }
            let buffer = contents
            try retyped { try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<want])) } }
            remaining -= want
        }
    }

    /// Skips what is left of the current entry, then its padding.
    private mutating func skipRest() throws(ImagePullError) {
        try readContents { _ in }
        let count = padding
        padding = 0
        if count > 0, !(try fill(\.block, count: count)) { throw malformed("the stream ends inside padding") }
    }

    /// The whole content of a metadata entry (PAX or GNU long name), bounded.
    private mutating func readSmallContents(limit: Int) throws(ImagePullError) -> [UInt8] {
        guard remaining <= limit else { throw malformed("a metadata entry of \(remaining) bytes") }
        var bytes: [UInt8] = []
        try readContents { chunk in bytes.append(contentsOf: chunk) }
        return bytes
    }

    /// The next entry, or nil at the end of the archive.
    mutating func next() throws(ImagePullError) -> TarEntry? {
        var paxPath: String?
        var paxLink: String?
        var paxSize: Int?
        var paxUID: Int?
        var paxGID: Int?
        var paxTime: Int?
        var longName: String?
        var longLink: String?
        while true {
            try skipRest()
            guard try readBlock() else { return nil }
            if block.allSatisfy({ $0 == 0 }) { return nil }
            let checksum = block.enumerated().reduce(0) { sum, item in
                sum + ((148..<156).contains(item.offset) ? 32 : Int(item.element))
            }
            guard let stored = Self.number(block[148..<156]), stored == checksum else {
                throw malformed("header checksum mismatch")
            }
            let type = block[156]
            guard let size = Self.number(block[124..<136]) else { throw malformed("bad size field") }
            remaining = paxSize ?? size
            padding = (512 - remaining % 512) % 512

            switch type {
            case UInt8(ascii: "x"):
                let records = try readSmallContents(limit: 1 << 20)
                for (key, value) in try parsePAX(records) {
                    switch key {
                    case "path": paxPath = value
                    case "linkpath": paxLink = value
                    case "size": paxSize = Int(value)
                    case "uid": paxUID = Int(value)
                    case "gid": paxGID = Int(value)
                    case "mtime": paxTime = Int(value.split(separator: ".").first ?? "")
                    default: break
                    }
                }
                continue
            case UInt8(ascii: "g"):
                // Global PAX defaults: nothing a layer needs from them.
                continue
            case UInt8(ascii: "L"):
                longName = Self.string(try readSmallContents(limit: 1 << 16)[...])
                continue
            case UInt8(ascii: "K"):
                longLink = Self.string(try readSmallContents(limit: 1 << 16)[...])
                continue
            default:
                break
            }

            let kind: TarEntry.Kind
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .regular
            case UInt8(ascii: "1"): kind = .hardLink
            case UInt8(ascii: "2"): kind = .symbolicLink
            case UInt8(ascii: "3"): kind = .characterDevice
            case UInt8(ascii: "4"): kind = .blockDevice
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "6"): kind = .fifo
            default:
                throw malformed("entry type '\(String(UnicodeScalar(type)))' is not supported (sparse or vendor entries)")
            }
            var path = Self.string(block[0..<100])
            // ustar splits long names into prefix and name.
            if Array(block[257..<262]) == Array("ustar".utf8) {
                let prefix = Self.string(block[345..<500])
                if !prefix.isEmpty { path = prefix + "/" + path }
            }
            if kind != .regular { remaining = 0; padding = 0 }
            return TarEntry(
                kind: kind,
                path: paxPath ?? longName ?? path,
                linkTarget: paxLink ?? longLink ?? Self.string(block[157..<257]),
                mode: UInt32(Self.number(block[100..<108]) ?? 0) & 0o7777,
                uid: paxUID ?? Self.number(block[108..<116]) ?? 0,
                gid: paxGID ?? Self.number(block[116..<124]) ?? 0,
                size: remaining,
                modificationTime: paxTime ?? Self.number(block[136..<148]) ?? 0,
                deviceMajor: UInt32(truncatingIfNeeded: Self.number(block[329..<337]) ?? 0),
                deviceMinor: UInt32(truncatingIfNeeded: Self.number(block[337..<345]) ?? 0))
        }
    }

    /// PAX records: `<length> <key>=<value>\n`.
    private func parsePAX(_ bytes: [UInt8]) throws(ImagePullError) -> [(String, String)] {
        var records: [(String, String)] = []
        var index = 0
        while index < bytes.count {
            guard let space = bytes[index...].firstIndex(of: 0x20),
                  let length = Int(String(decoding: bytes[index..<space], as: UTF8.self)),
                  length > 0, index + length <= bytes.count, bytes[index + length - 1] == 0x0A,
                  let equals = bytes[(space + 1)..<(index + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw malformed("bad PAX record")
            }
            let key = String(decoding: bytes[(space + 1)..<equals], as: UTF8.self)
            let value = String(decoding: bytes[(equals + 1)..<(index + length - 1)], as: UTF8.self)
            records.append((key, value))
            index += length
        }
        return records
    }

    /// A NUL-terminated field.
    private static func string(_ field: ArraySlice<UInt8>) -> String {
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[field.startIndex..<end], as: UTF8.self)
    }

    /// An octal field (space/NUL padded), or GNU base-256 when the top bit is set.
    private static func number(_ field: ArraySlice<UInt8>) -> Int? {
        if let first = field.first, first & 0x80 != 0 {
            var value = Int(first & 0x3F)
            for byte in field.dropFirst() {
                guard value < (Int.max >> 8) else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || byte == 0x20 {
                if seenDigit { break } else { continue }
            }
            guard byte >= 0x30 && byte <= 0x37 else { return nil }
            value = value * 8 + Int(byte - 0x30)
            seenDigit = true
        }
        return value
    }
}
