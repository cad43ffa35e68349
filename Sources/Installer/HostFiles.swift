import Files
import Glibc

/// The file operations an installation makes on the host, each leaving a
/// file either as it was or complete (a temporary name and a rename), and
/// none touching a file that already has the wanted contents and mode.
enum HostFiles {
    enum Node: Equatable {
        case missing, directory, file, symlink, other
    }

    static func node(_ path: String) -> Node {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// `mkdir -p`, returning the directories it created (parents first), each with `mode`.
    static func makeDirectories(_ path: String, mode: mode_t) throws(InstallerError) -> [String] {
        var created: [String] = []
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            switch node(current) {
            case .directory: continue
            case .symlink where isRelativeLinkToDirectory(current):
                // Fedora CoreOS and RHCOS: /opt -> var/opt, /usr/local -> ../var/usrlocal.
                continue
            case .missing:
                guard mkdir(current, 0o700) == 0 else { throw systemError("mkdir", current) }
                guard chmod(current, mode) == 0 else { throw systemError("chmod", current) }
                created.append(current)
            case .symlink:
                throw InstallerError("\(current) is a symlink that does not lead to a directory by a relative path (an absolute link would be followed outside --host-root); install under another --prefix, or make the link relative")
            default:
                throw InstallerError("\(current) exists and is not a directory; install under another --prefix, or remove it if it is a leftover")
            }
        }
        return created
    }

    /// A symlink with a relative target that resolves to a directory: safe to
    /// go through under any host root (an absolute target would be resolved
    /// in the installer's own file system, not the host's).
    static func isRelativeLinkToDirectory(_ path: String) -> Bool {
        guard let target = try? readSymlink(path), !target.hasPrefix("/") else { return false }
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether `path` is a regular file with exactly `contents` and `mode`.
    static func hasContents(_ path: String, _ contents: [UInt8], mode: mode_t) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
              info.st_mode & 0o7777 == mode, Int(info.st_size) == contents.count else { return false }
        return (try? readFile(path)) == contents
    }

    /// The permission bits of an existing file.
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    /// Writes `contents` with exactly `mode` (no umask) through a temporary
    /// file and a rename; returns false when the file already was so.
    @discardableResult
    static func put(_ path: String, _ contents: [UInt8], mode: mode_t) throws(InstallerError) -> Bool {
        if hasContents(path, contents, mode: mode) { return false }
        if node(path) == .directory {
            throw InstallerError("\(path) is a directory where a file is to be installed; move it away and install again")
        }
        do {
            try writeFileAtomically(path, contents, mode: mode)
        } catch {
            throw InstallerError(error.description)
        }
        return true
    }

    /// Points `path` at `target` (replacing what is there atomically); returns
    /// false when it already did.
    @discardableResult
    static func putSymlink(_ path: String, target: String) throws(InstallerError) -> Bool {
        if node(path) == .symlink, (try? readSymlink(path)) == target { return false }
        if node(path) == .directory {
            throw InstallerError("\(path) is a directory where a symlink is to be installed; move it away and install again")
        }
        let temporary = path + ".kata-install.tmp"
        unlink(temporary)
        guard symlink(target, temporary) == 0 else { throw systemError("symlink", temporary) }
        guard rename(temporary, path) == 0 else {
            let error = systemError("rename to", path)
            unlink(temporary)
            throw error
        }
        return true
    }

    static func read(_ path: String) throws(InstallerError) -> [UInt8] {
        do {
            return try readFile(path)
        } catch {
            throw InstallerError(error.description)
        }
    }

    /// The file's text, or nil when it does not exist.
    static func readIfPresent(_ path: String) throws(InstallerError) -> String? {
        guard node(path) != .missing else { return nil }
        guard node(path) == .file else {
            throw InstallerError("\(path) is not a regular file")
        }
        return String(decoding: try read(path), as: UTF8.self)
    }

    static func remove(_ path: String) throws(InstallerError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw systemError("unlink", path) }
    }

    static func systemError(_ call: String, _ path: String) -> InstallerError {
        InstallerError("\(call) \(path): \(String(cString: strerror(errno)))")
    }
}

extension HostFiles {
    /// Whether two paths name the same existing directory or file.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// containerd's configuration as text, or nil when it does not exist;
    /// refuses bytes that are not UTF-8 (TOML is), which a text edit could
    /// not keep byte for byte.
    static func readConfigIfPresent(_ path: String) throws(InstallerError) -> String? {
        switch node(path) {
        case .missing: return nil
        case .file: break
        case .symlink: throw InstallerError("--containerd-config \(path): is a symlink; pass the file it points to, so that the edit does not replace the link")
        default: throw InstallerError("--containerd-config \(path): is not a regular file")
        }
        let bytes = try read(path)
        let text = String(decoding: bytes, as: UTF8.self)
        guard Array(text.utf8) == bytes else {
            throw InstallerError("\(path): is not valid UTF-8, which TOML requires; fix its encoding and install again")
        }
        return text
    }
}

extension HostFiles {
    /// rmdir: true when removed, false when it holds something.
    static func removeEmptyDirectory(_ path: String) -> Bool {
        rmdir(path) == 0
    }
}
