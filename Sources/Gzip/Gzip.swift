import CZlib

/// gzip decompression with the system zlib (multi-member streams, as Go's
/// `gzip.Reader` reads them), bounded so that a small annotation or disk
/// cannot expand into gigabytes: initdata on the host and in the guest.
public enum Gzip {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// zlib's reason (bad header, CRC mismatch, ...).
        case corrupt(String)
        /// The stream ends before its trailer.
        case truncated
        /// More output than `limit` bytes.
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .corrupt(let reason): "not valid gzip: \(reason)"
            case .truncated: "the gzip stream ends before its trailer (truncated)"
            case .tooLarge(let limit): "it decompresses to more than \(limit / (1024 * 1024)) MiB"
            }
        }
    }

    public static func decompress(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard !input.isEmpty else { throw .truncated }
        var stream = z_stream()
        guard cz_inflate_init_gzip(&stream) == Z_OK else { throw .corrupt("zlib cannot start inflating") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 32768)
        var source = input
        let result: Failure? = source.withUnsafeMutableBufferPointer { inputBuffer -> Failure? in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            while true {
                let status = buffer.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: out[0..<(out.count - Int(stream.avail_out))])
                    return status
                }
                if output.count > limit { return .tooLarge(limit: limit) }
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow, as `gzip -c a b` writes.
                    if stream.avail_in == 0 { return nil }
                    guard inflateReset(&stream) == Z_OK else { return .corrupt("zlib cannot restart") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 { return .truncated }
                    continue
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    return .corrupt(reason)
                }
            }
        }
        if let result { throw result }
        return output
    }
}
