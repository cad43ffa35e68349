import CZlib

/// gzip decompression of the initdata payload with the system zlib, bounded
/// so that a small disk cannot expand into gigabytes.
enum InitDataGzip {
    /// Why a payload cannot be inflated.
    struct Failure: Error {
        var reason: String
    }

    /// The inflated bytes of `input` (one or more gzip members).
    static func decompress(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard !input.isEmpty else { throw Failure(reason: "the gzip stream is empty") }
        var stream = z_stream()
        guard cz_inflate_init_gzip(&stream) == Z_OK else { throw Failure(reason: "zlib cannot start inflating") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 32768)
        var source = input
        let failure: String? = source.withUnsafeMutableBufferPointer { inputBuffer -> String? in
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
                if output.count > limit { return "it decompresses to more than \(limit / (1024 * 1024)) MiB" }
                switch status {
                case Z_STREAM_END:
                    // Another member may follow, as `gzip -c a b` writes.
                    if stream.avail_in == 0 { return nil }
                    guard inflateReset(&stream) == Z_OK else { return "zlib cannot restart after a gzip member" }
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 { return "the gzip stream ends before its trailer (truncated)" }
                    continue
                default:
                    return "not valid gzip: " + (stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")
                }
            }
        }
        if let failure { throw Failure(reason: failure) }
        return output
    }
}
