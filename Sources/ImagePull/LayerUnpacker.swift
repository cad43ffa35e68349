import Files
import Glibc

/// Applies image layers, in order, to one directory: the merged root
/// filesystem. Entry names are resolved inside the root as if it were `/`
/// (a symlink to `/usr/lib` means `<root>/usr/lib`, `..` stops at the root),
/// so nothing is ever written outside it; names that are absolute or contain
/// `..` are refused outright, as no image builder writes them.
struct LayerUnpacker {
    /// The root directory, absolute, without a trailing slash.
    let root: String
    /// Ownership and device nodes need root; without it files keep the caller's owner.
    private let privileged = geteuid() == 0

    init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    /// Unpacks the layer file at `path` (gzip-compressed or not); `name`
    /// says which layer in messages.
    func unpack(layerAt path: String, compressed: Bool, name: String) throws(ImagePullError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImagePullError(.localFile, "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let file = FileByteSource(descriptor: fd, name: name)
        if compressed {
            var reader = TarReader(try GzipByteSource(file, name: name), name: name)
            try apply(&reader, name: name)
        } else {
            var reader = TarReader(file, name: name)
            try apply(&reader, name: name)
        }
    }

    /// What one layer has touched so far: an opaque whiteout only removes what lower layers left.
    private struct LayerState {
        var written: Set<String> = []
        var directoryTimes: [(path: String, time: Int)] = []
    }

    private func apply<Source: ByteSource>(_ reader: inout TarReader<Source>, name: String) throws(ImagePullError) {
        var state = LayerState()
        while let entry = try reader.next() {
            let components = try clean(entry.path, layer: name)
            guard let last = components.last else { continue }  // the root itself
            let parent = try resolve(Array(components.dropLast()), followLast: true, layer: name)
            try makeDirectory(parent, layer: name)

            if last == ".wh..wh..opq" {
                for child in directoryEntries(parent) where !state.written.contains(parent + "/" + child) {
                    removeTree(parent + "/" + child)
                }
                continue
            }
            if last.hasPrefix(".wh.") {
                let hidden = String(last.dropFirst(4))
                // `.wh..wh.*` other than the opaque marker are aufs bookkeeping.
                if !hidden.hasPrefix(".wh.") && !hidden.isEmpty && hidden != "." && hidden != ".." {
                    removeTree(parent + "/" + hidden)
                }
                continue
            }

            let target = parent + "/" + last
            try place(entry, at: target, reader: &reader, layer: name)
            var marked = target
            while marked.count > root.count {
                guard state.written.insert(marked).inserted else { break }
                marked = String(marked[..<(marked.lastIndex(of: "/") ?? marked.startIndex)])
            }
            if entry.kind == .directory {
                state.directoryTimes.append((target, entry.modificationTime))
            } else {
                setTime(target, entry.modificationTime)
            }
        }
        // Last, because creating entries inside a directory changes its mtime.
        for (path, time) in state.directoryTimes.reversed() { setTime(path, time) }
    }

    /// The archive name as components, without `.` and empty ones; `..` and
    /// absolute names are refused.
    private func clean(_ path: String, layer: String) throws(ImagePullError) -> [String] {
        if path.hasPrefix("/") {
            throw ImagePullError(.unsafePath, "\(layer): entry \"\(path)\" is an absolute name; refusing to unpack it")
        }
        let components = path.split(separator: "/").map(String.init).filter { $0 != "." }
        if components.contains("..") {
            throw ImagePullError(.unsafePath, "\(layer): entry \"\(path)\" leaves the root through \"..\"; refusing to unpack it")
        }
        return components
    }

    /// The host path of `components` inside the root, following symlinks
    /// as if the root were `/` (the last component only if `followLast`).
    private func resolve(_ components: [String], followLast: Bool, layer: String) throws(ImagePullError) -> String {
        var resolved: [String] = []
        var pending = Array(components.reversed())
        var hops = 0
        while let component = pending.popLast() {
            if component == "." || component.isEmpty { continue }
            if component == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            if pending.isEmpty && !followLast {
                resolved.append(component)
                break
            }
            let candidate = root + "/" + (resolved + [component]).joined(separator: "/")
            guard let target = symlinkTarget(candidate) else {
                resolved.append(component)
                continue
            }
            hops += 1
            guard hops <= 40 else {
                throw ImagePullError(.unsafePath, "\(layer): too many symlinks resolving \"\(components.joined(separator: "/"))\"")
            }
            if target.hasPrefix("/") { resolved.removeAll() }
            pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
        }
        return resolved.isEmpty ? root : root + "/" + resolved.joined(separator: "/")
    }

    private func symlinkTarget(_ path: String) -> String? {
        try? readSymbolicLink(path)
    }

    private func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    private func makeDirectory(_ path: String, layer: String) throws(ImagePullError) {
        if fileType(path) == S_IFDIR { return }
        do {
            try makeDirectories(path)
        } catch {
            throw ImagePullError(.localFile, "\(layer): \(error.description)")
        }
    }

    private func failure(_ call: String, _ path: String, _ layer: String) -> ImagePullError {
        ImagePullError(.localFile, "\(layer): \(call) \(path): \(String(cString: strerror(errno)))")
    }

    private func place<Source: ByteSource>(
        _ entry: TarEntry, at target: String, reader: inout TarReader<Source>, layer: String
    ) throws(ImagePullError) {
        let existing = fileType(target)
        if entry.kind == .directory {
            if existing != S_IFDIR {
                if existing != nil { removeTree(target) }
                guard mkdir(target, 0o700) == 0 else { throw failure("mkdir", target, layer) }
            }
            try own(target, entry, layer)
            guard chmod(target, mode_t(entry.mode)) == 0 else { throw failure("chmod", target, layer) }
            return
        }
        if existing != nil { removeTree(target) }
        switch entry.kind {
        case .regular:
            let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw failure("create", target, layer) }
            defer { close(fd) }
            try reader.readContents { (chunk: UnsafeRawBufferPointer) throws(ImagePullError) in
                var offset = 0
                while offset < chunk.count {
                    let n = write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure("write", target, layer)
                    }
                    offset += n
                }
            }
            if privileged && fchown(fd, uid_t(entry.uid), gid_t(entry.gid)) != 0 { throw failure("chown", target, layer) }
            // After chown, which clears set-user-ID bits.
            guard fchmod(fd, mode_t(entry.mode)) == 0 else { throw failure("chmod", target, layer) }
        case .symbolicLink:
            guard symlink(entry.linkTarget, target) == 0 else { throw failure("symlink", target, layer) }
            try own(target, entry, layer)
        case .hardLink:
            let source = try resolve(try clean(entry.linkTarget, layer: layer), followLast: false, layer: layer)
            guard fileType(source) != nil else {
                throw ImagePullError(.malformed, "\(layer): hard link \"\(entry.path)\" names \"\(entry.linkTarget)\", which the layers do not hold")
            }
            guard link(source, target) == 0 else { throw failure("link", target, layer) }
        case .characterDevice, .blockDevice, .fifo:
            let type: mode_t = entry.kind == .fifo ? S_IFIFO : entry.kind == .blockDevice ? S_IFBLK : S_IFCHR
            let device = Self.deviceNumber(major: entry.deviceMajor, minor: entry.deviceMinor)
            guard mknod(target, type | mode_t(entry.mode), device) == 0 else {
                if !privileged && entry.kind != .fifo {
                    throw ImagePullError(.localFile, "\(layer): device \"\(entry.path)\" needs root to create (mknod)")
                }
                throw failure("mknod", target, layer)
            }
            try own(target, entry, layer)
            guard chmod(target, mode_t(entry.mode)) == 0 else { throw failure("chmod", target, layer) }
        case .directory:
            break
        }
    }

    /// glibc's `makedev`, a macro Swift cannot call.
    private static func deviceNumber(major: UInt32, minor: UInt32) -> dev_t {
        let major = UInt64(major), minor = UInt64(minor)
        return dev_t((major & 0xfff) << 8 | (major & ~0xfff) << 32 | (minor & 0xff) | (minor & ~0xff) << 12)
    }

    private func own(_ path: String, _ entry: TarEntry, _ layer: String) throws(ImagePullError) {
        guard privileged else { return }
        guard lchown(path, uid_t(entry.uid), gid_t(entry.gid)) == 0 else { throw failure("chown", path, layer) }
    }

    private func setTime(_ path: String, _ seconds: Int) {
        let time = timespec(tv_sec: seconds, tv_nsec: 0)
        var times = (time, time)
        _ = withUnsafePointer(to: &times) {
            $0.withMemoryRebound(to: timespec.self, capacity: 2) { utimensat(AT_FDCWD, path, $0, AT_SYMLINK_NOFOLLOW) }
        }
    }
}
