extension InitData {
    /// TDX `mrconfigid` for QEMU's `tdx-guest` object: base64 of the digest
    /// zero-padded (or truncated) to 48 bytes.
    public var tdxMRConfigID: String {
        Base64.encode(Self.fit(digest, to: 48))
    }

    /// SEV-SNP `host-data` for QEMU's `sev-snp-guest` object: base64 of the
    /// digest zero-padded (or truncated) to 32 bytes.
    public var snpHostData: String {
        Base64.encode(Self.fit(digest, to: 32))
    }

    /// The digest as lowercase hex, as `sha256sum` prints it.
    public var digestHex: String {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    static func fit(_ bytes: [UInt8], to size: Int) -> [UInt8] {
        bytes.count >= size ? Array(bytes.prefix(size)) : bytes + [UInt8](repeating: 0, count: size - bytes.count)
    }
}
