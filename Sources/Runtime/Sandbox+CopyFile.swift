#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Files
import Glibc
import Protocols

extension Sandbox {
    /// Largest CopyFile chunk (Kata's agent takes at most a few MiB a message).
    static let copyChunkSize = 1 << 20

    /// What a class without a shared file system does for a container's bind
    /// mounts (`/etc/hosts`, `/etc/resolv.conf`, the termination log...): the
    /// host copies them into the guest with CopyFile, as Kata does; a
    /// directory is copied whole (files, subdirectories, symlinks).
    func copyIntoGuest(hostPath: String, guestPath: String) async throws {
        var info = stat()
        guard lstat(hostPath, &info) == 0 else {
            throw BootError(description: "copy \(hostPath) into the guest: \(String(cString: strerror(errno)))")
        }
        var request = Grpc_CopyFileRequest()
        request.path = guestPath
        request.fileMode = UInt32(info.st_mode)
        request.dirMode = 0o750
        request.uid = Int32(bitPattern: info.st_uid)
        request.gid = Int32(bitPattern: info.st_gid)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            try await agent.copyFile(request)
            for name in directoryEntries(hostPath) {
                try await copyIntoGuest(hostPath: hostPath + "/" + name, guestPath: guestPath + "/" + name)
            }
        case S_IFLNK:
            do { request.data = Data(try readSymbolicLink(hostPath).utf8) } catch {
                throw BootError(description: "copy \(hostPath) into the guest: \(error)")
            }
            try await agent.copyFile(request)
        case S_IFREG:
            let bytes: [UInt8]
            do { bytes = try readFile(hostPath) } catch {
                throw BootError(description: "copy \(hostPath) into the guest: \(error)")
            }
            request.fileSize = Int64(bytes.count)
            var offset = 0
            repeat {
                let end = min(offset + Self.copyChunkSize, bytes.count)
                request.offset = Int64(offset)
                request.data = Data(bytes[offset..<end])
                try await agent.copyFile(request)
                offset = end
            } while offset < bytes.count
        default:
            throw BootError(description: "copy \(hostPath) into the guest: only files, directories and symlinks can be copied "
                + "(this class has shared_fs = \"none\")")
        }
    }
}
