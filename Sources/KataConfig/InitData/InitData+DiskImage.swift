extension InitData {
    /// The 8 bytes that open an initdata disk.
    public static let diskMagic = Array("initdata".utf8)
    /// The disk is a whole number of these.
    public static let sectorSize = 512

    /// The initdata disk in Kata's layout, for the caller to write to
    /// `/run/kata-containers/shared/initdata/<sandbox>/data.img`: the magic
    /// `initdata`, the length of the gzip stream as a little-endian u64, the
    /// gzip stream (the annotation's bytes, unchanged), zeros to the next
    /// 512-byte boundary.
    public func diskImage() -> [UInt8] {
        var image = Self.diskMagic
        let length = UInt64(compressed.count)
        for i in 0..<8 { image.append(UInt8(truncatingIfNeeded: length >> UInt64(8 * i))) }
        image.append(contentsOf: compressed)
        let remainder = image.count % Self.sectorSize
        if remainder != 0 { image.append(contentsOf: [UInt8](repeating: 0, count: Self.sectorSize - remainder)) }
        return image
    }

    /// The gzip stream of a disk made by ``diskImage()``, or nil when the
    /// bytes are not in that layout.
    public static func payload(ofDiskImage image: [UInt8]) -> [UInt8]? {
        guard image.count >= 16, Array(image[0..<8]) == diskMagic else { return nil }
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(image[8 + $1]) << UInt64(8 * $1) }
        guard length <= UInt64(image.count - 16) else { return nil }
        return Array(image[16..<(16 + Int(length))])
    }
}
