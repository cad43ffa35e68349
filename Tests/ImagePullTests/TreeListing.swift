import Files
import Glibc

/// A directory tree as sorted lines, one per entry, so that a test can
/// compare the whole of an unpacked root at once:
/// `f 0755 0:0 bin/tool "content"`, `d 0755 0:0 bin`, `l bin/sh -> busybox`, `p 0640 0:0 run/fifo`.
func treeListing(_ root: String) -> [String] {
    var lines: [String] = []
    func walk(_ relative: String) {
        let path = relative.isEmpty ? root : root + "/" + relative
        guard let dir = opendir(path) else { return }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names.sorted() {
            let child = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + child
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            let mode = String(info.st_mode & 0o7777, radix: 8)
            let permissions = String(repeating: "0", count: max(0, 4 - mode.count)) + mode
            let owner = "\(info.st_uid):\(info.st_gid)"
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                lines.append("d \(permissions) \(owner) \(child)")
                walk(child)
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: 4096)
                let n = readlink(full, &buffer, buffer.count)
                let target = String(decoding: buffer[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                lines.append("l \(child) -> \(target)")
            case S_IFREG:
                let content = (try? readTextFile(full)) ?? "?"
                lines.append("f \(permissions) \(owner) \(child) \(content.debugDescription)")
            case S_IFIFO:
                lines.append("p \(permissions) \(owner) \(child)")
            default:
                lines.append("? \(permissions) \(owner) \(child)")
            }
        }
    }
    walk("")
    return lines
}
