/// One member of a tar archive, with PAX and GNU long names already applied.
struct TarEntry {
    enum Kind: Equatable {
        case regular, hardLink, symbolicLink, characterDevice, blockDevice, directory, fifo
    }

    var kind: Kind
    /// The name as the archive has it (`./bin/sh`, `usr/lib/`).
    var path: String
    /// Symlink target, or the archive path a hard link names.
    var linkTarget: String
    var mode: UInt32
    var uid: Int
    var gid: Int
    /// Bytes of content (regular files only).
    var size: Int
    /// Seconds since the epoch.
    var modificationTime: Int
    var deviceMajor: UInt32
    var deviceMinor: UInt32
}
