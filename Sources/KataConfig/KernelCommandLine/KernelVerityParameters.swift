/// `kernel_verity_params`: the dm-verity table of the guest image
/// (`root_hash=..,salt=..,data_blocks=..,data_block_size=..,hash_block_size=..`),
/// from which the kernel command line gets a `dm-mod.create=` device.
public struct KernelVerityParameters: Sendable, Equatable {
    public var rootHash: String
    public var salt: String
    public var dataBlocks: UInt64
    public var dataBlockSize: UInt64
    public var hashBlockSize: UInt64

    static let keys = ["root_hash", "salt", "data_blocks", "data_block_size", "hash_block_size"]

    /// Parses the comma-separated `key=value` list; the message of the error
    /// says which part is wrong.
    public init(_ text: String) throws(ConfigurationError) {
        var fields: [String: String] = [:]
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = pair[0].trimmingBlanks()
            guard pair.count == 2, Self.keys.contains(key) else {
                throw ConfigurationError("\(TOMLNode.quoted(String(item))) is not one of \(Self.keys.map { "\($0)=" }.joined(separator: ", "))")
            }
            fields[key] = pair[1].trimmingBlanks()
        }
        for key in Self.keys where fields[key] == nil {
            throw ConfigurationError("\(key)= is missing (all of \(Self.keys.joined(separator: ", ")) are needed)")
        }
        func number(_ key: String) throws(ConfigurationError) -> UInt64 {
            guard let n = UInt64(fields[key]!), n > 0 else {
                throw ConfigurationError("\(key)=\(fields[key]!) is not a positive integer")
            }
            return n
        }
        rootHash = fields["root_hash"]!
        salt = fields["salt"]!
        dataBlocks = try number("data_blocks")
        dataBlockSize = try number("data_block_size")
        hashBlockSize = try number("hash_block_size")
        guard dataBlockSize % 512 == 0, hashBlockSize % 512 == 0 else {
            throw ConfigurationError("data_block_size and hash_block_size must be multiples of 512 bytes")
        }
        guard !rootHash.isEmpty, rootHash.allSatisfy(\.isHexDigit) else {
            throw ConfigurationError("root_hash=\(rootHash) is not a hexadecimal digest")
        }
    }

    /// `dm-mod.create="dm-verity,,,ro,0 <sectors> verity 1 <data> <hash> <dbs> <hbs> <blocks> 0 sha256 <root hash> <salt>"`
    /// for a data partition and a hash partition of the guest disk.
    public func deviceMapperParameter(dataDevice: String, hashDevice: String) -> KernelParameter {
        let sectors = dataBlocks * dataBlockSize / 512
        let table = "dm-verity,,,ro,0 \(sectors) verity 1 \(dataDevice) \(hashDevice) \(dataBlockSize) \(hashBlockSize) \(dataBlocks) 0 sha256 \(rootHash) \(salt)"
        return KernelParameter("dm-mod.create", "\"\(table)\"")
    }
}
