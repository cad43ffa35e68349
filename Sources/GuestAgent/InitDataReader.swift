import Gzip
import Files
import Glibc

/// Finds and reads the initdata disk: the virtio-blk disk whose serial is
/// `initdata` (the shim attaches `data.img` so), in Kata's layout: the magic
/// `initdata`, the gzip stream's length as a little-endian u64, the gzip
/// stream of the TOML document, zeros to a 512-byte boundary.
public enum InitDataReader {
    /// The virtio-blk serial the host gives the disk.
    public static let serial = "initdata"
    /// The 8 bytes that open the disk.
    public static let magic = Array("initdata".utf8)
    /// Larger payloads (compressed or not) are refused, as the host refuses them.
    public static let maximumSize = 16 * 1024 * 1024

    /// The device node of the disk whose `/sys/block/<dev>/serial` is
    /// `initdata`, or nil when the guest has none.
    public static func findDevice(sysBlock: String = "/sys/block", devDirectory: String = "/dev") -> String? {
        for name in directoryEntries(sysBlock).sorted() {
            guard let text = try? readTextFile(sysBlock + "/" + name + "/serial") else { continue }
            if text.trimmingSpaces == serial { return devDirectory + "/" + name }
        }
        return nil
    }

    /// Reads and checks the disk (or image file) at `path`.
    public static func read(path: String) throws(InitDataReadError) -> InitDataDocument {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InitDataReadError("initdata disk \(path) cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let header = try readExactly(descriptor, count: 16, at: 0, path: path, what: "its 16-byte header")
        guard Array(header[0..<8]) == magic else {
            let found = header[0..<8].map { $0 >= 0x20 && $0 < 0x7f ? String(UnicodeScalar($0)) : "." }.joined()
            throw InitDataReadError("initdata disk \(path) does not start with the magic \"initdata\" (found \"\(found)\"): the host must write the disk in Kata's initdata layout")
        }
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(header[8 + $1]) << UInt64(8 * $1) }
        guard length > 0, length <= UInt64(maximumSize) else {
            throw InitDataReadError("initdata disk \(path) announces a gzip payload of \(length) bytes: it must hold 1 byte to \(maximumSize / (1024 * 1024)) MiB")
        }
        let compressed = try readExactly(descriptor, count: Int(length), at: 16, path: path, what: "the \(length)-byte gzip payload its header announces")
        return try document(compressed: compressed, source: "disk " + path)
    }

    /// The document in a gzip payload; `source` names it in errors.
    public static func document(compressed: [UInt8], source: String) throws(InitDataReadError) -> InitDataDocument {
        let bytes: [UInt8]
        do {
            bytes = try Gzip.decompress(compressed, limit: maximumSize)
        } catch {
            throw InitDataReadError("initdata \(source): the payload cannot be decompressed: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InitDataReadError("initdata \(source): the document is not UTF-8 text")
        }
        let toml: InitDataTOML
        do {
            toml = try InitDataTOML.parse(text)
        } catch {
            throw InitDataReadError("initdata \(source): the document is not valid initdata TOML: \(error)")
        }
        return try InitDataDocument(toml: toml, source: source)
    }

    private static func readExactly(_ descriptor: Int32, count: Int, at offset: Int, path: String, what: String) throws(InitDataReadError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
            }
            if result < 0 && errno == EINTR { continue }
            if result < 0 {
                throw InitDataReadError("initdata disk \(path): cannot read \(what): \(String(cString: strerror(errno)))")
            }
            if result == 0 {
                throw InitDataReadError("initdata disk \(path) is too short for \(what) (it ends after \(offset + filled) bytes)")
            }
            filled += result
        }
        return bytes
    }
}

fileprivate extension String {
    /// Without leading and trailing spaces and newlines (sysfs ends its values with one).
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let start = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[start...end])
    }
}
