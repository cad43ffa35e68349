import CZlib

/// The inflated bytes of a gzip stream (several members, as `gzip -c a b`
/// writes, are one stream), read piece by piece through the system zlib.
final class GzipByteSource<Compressed: ByteSource>: ByteSource {
    private var compressed: Compressed
    private var stream = z_stream()
    private var input = [UInt8](repeating: 0, count: 65536)
    /// How many bytes the last refill put in `input`; zlib's `avail_in` says how many are left.
    private var inputFilled = 0
    private var inputEnd = false
    private var finished = false
    /// For messages: which layer.
    private let name: String

    init(_ compressed: Compressed, name: String) throws(ImagePullError) {
        self.compressed = compressed
        self.name = name
        guard cz_inflate_init_gzip(&stream) == Z_OK else {
            throw ImagePullError(.localFile, "\(name): zlib cannot start inflating")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Reads more compressed input when zlib has used it all; false at its end.
    private func refill() throws(ImagePullError) -> Bool {
        guard !inputEnd else { return false }
        let count = try retyped { try input.withUnsafeMutableBytes { try compressed.read(into: $0) } }
        if count == 0 { inputEnd = true; return false }
        inputFilled = count
        stream.avail_in = UInt32(count)
        return true
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImagePullError) -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        while true {
            if stream.avail_in == 0 { _ = try refill() }
            let filled = inputFilled
            let (status, produced) = input.withUnsafeMutableBufferPointer { inputBuffer -> (Int32, Int) in
                // The array may move between calls: point zlib at the unread part again.
                stream.next_in = inputBuffer.baseAddress! + (filled - Int(stream.avail_in))
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(buffer.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, buffer.count - Int(stream.avail_out))
            }
            switch status {
            case Z_STREAM_END:
                // Another member may follow, here or in the next read.
                let more = stream.avail_in > 0 ? true : try refill()
                if !more {
                    finished = true
                    return produced
                }
                guard inflateReset(&stream) == Z_OK else {
                    throw ImagePullError(.malformed, "\(name): zlib cannot restart after a gzip member")
                }
                if produced > 0 { return produced }
            case Z_OK, Z_BUF_ERROR:
                if produced > 0 { return produced }
                if stream.avail_in == 0 && inputEnd {
                    throw ImagePullError(.malformed, "\(name): gzip stream ends before its trailer (truncated layer)")
                }
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw ImagePullError(.malformed, "\(name): not valid gzip: \(reason)")
            }
        }
    }
}
