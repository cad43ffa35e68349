import Files
import Foundation
import Glibc
import Testing
import TestSupport
@testable import ImagePull

/// Layers written by make_layer.py (Python's tarfile), unpacked straight
/// from files: the safety rules and the tar dialects.
@Suite struct LayerUnpackerTests {
    static let maker = packageRoot + "/Tests/ImagePullTests/make_layer.py"

    /// Writes a layer of `entries` to `<directory>/layer.tar[.gz]` and returns its path.
    private func layer(_ directory: String, _ entries: [[String: Any]], format: String = "gnu", gzip: Bool = false) throws -> String {
        let path = directory + (gzip ? "/layer.tar.gz" : "/layer.tar")
        let json = try JSONSerialization.data(withJSONObject: entries)
        let result = try run(["python3", Self.maker, path, format] + (gzip ? ["gzip"] : []), input: json, package: "python3")
        guard result.succeeded else { throw CommandError(description: "make_layer.py: \(result.output)") }
        return path
    }

    private func unpack(_ directory: String, _ layer: String, gzip: Bool = false) throws {
        try makeDirectories(directory + "/rootfs")
        try LayerUnpacker(root: directory + "/rootfs").unpack(layerAt: layer, compressed: gzip, name: "layer 1")
    }

    @Test func symlinksAreResolvedInsideTheRoot() throws {
        let directory = try makeTemporaryDirectory("imagepull-layer")
        defer { removeTree(directory) }
        let path = try layer(directory, [
            ["name": "up", "type": "symlink", "linkname": "../../../.."],
            ["name": "up/through-relative.txt", "content": "relative\n"],
            ["name": "slash", "type": "symlink", "linkname": "/"],
            ["name": "slash/tmp/through-absolute.txt", "content": "absolute\n"],
            ["name": "loop", "type": "symlink", "linkname": "loop"],
        ])
        try unpack(directory, path)
        #expect(treeListing(directory + "/rootfs") == [
            "l loop -> loop",
            "l slash -> /",
            "f 0644 0:0 through-relative.txt \"relative\\n\"",
            "d 0755 0:0 tmp",
            "f 0644 0:0 tmp/through-absolute.txt \"absolute\\n\"",
            "l up -> ../../../..",
        ])
        #expect(directoryEntries(directory).sorted() == ["layer.tar", "rootfs"])
    }

    @Test func symlinkLoopIsRefused() throws {
        let directory = try makeTemporaryDirectory("imagepull-layer")
        defer { removeTree(directory) }
        let path = try layer(directory, [
            ["name": "loop", "type": "symlink", "linkname": "loop"],
            ["name": "loop/file", "content": "x"],
        ])
        #expect {
            try unpack(directory, path)
        } throws: { error in
            (error as? ImagePullError)?.kind == .unsafePath && "\(error)".contains("too many symlinks resolving \"loop\"")
        }
    }

    @Test(arguments: [
        ("/etc/passwd", "is an absolute name"),
        ("a/../../escape", "leaves the root through \"..\""),
    ])
    func namesLeavingTheRootAreRefused(name: String, reason: String) throws {
        let directory = try makeTemporaryDirectory("imagepull-layer")
        defer { removeTree(directory) }
        let path = try layer(directory, [["name": name, "content": "x"]])
        #expect {
            try unpack(directory, path)
        } throws: { error in
            (error as? ImagePullError)?.kind == .unsafePath && "\(error)" == "layer 1: entry \"\(name)\" \(reason); refusing to unpack it"
        }
        #expect(directoryEntries(directory).sorted() == ["layer.tar", "rootfs"])
        #expect(directoryEntries(directory + "/rootfs").isEmpty)
    }

    @Test func hardLinkOutOfTheRootIsRefused() throws {
        let directory = try makeTemporaryDirectory("imagepull-layer")
        defer { removeTree(directory) }
        let path = try layer(directory, [["name": "passwd", "type": "hardlink", "linkname": "../../../etc/passwd"]])
        #expect(throws: ImagePullError.self) { try unpack(directory, path) }
        #expect(directoryEntries(directory + "/rootfs").isEmpty)
    }

    @Test(arguments: ["gnu", "pax", "ustar"])
    func longNamesInEveryDialect(format: String) throws {
        let directory = try makeTemporaryDirectory("imagepull-layer")
        defer { removeTree(directory) }
        // ustar holds up to 155 + 100 bytes split at a slash; GNU and PAX any length.
        let longDirectory = String(repeating: "p", count: 140)
        let longName = String(repeating: "n", count: format == "ustar" ? 90 : 200)
        let linkTarget = String(repeating: "t", count: format == "ustar" ? 90 : 150)
        let path = try layer(directory, [
            ["name": "\(longDirectory)/\(longName)", "content": "long\n", "mode": 0o640],
            ["name": "\(longDirectory)/link", "type": "symlink", "linkname": linkTarget],
        ], format: format, gzip: true)
        try unpack(directory, path, gzip: true)
        #expect(treeListing(directory + "/rootfs") == [
            "d 0755 0:0 \(longDirectory)",
            "l \(longDirectory)/link -> \(linkTarget)",
            "f 0640 0:0 \(longDirectory)/\(longName) \"long\\n\"",
        ])
    }

    @Test func replacingAFileWithADirectoryAndBack() throws {
        let directory = try makeTemporaryDirectory("imagepull-layer")
        defer { removeTree(directory) }
        let first = try layer(directory, [
            ["name": "x", "content": "file\n"],
            ["name": "y", "type": "dir", "mode": 0o700],
            ["name": "y/inner", "content": "inner\n"],
        ])
        try unpack(directory, first)
        let second = try layer(directory, [
            ["name": "x", "type": "dir", "mode": 0o750],
            ["name": "y", "type": "symlink", "linkname": "x"],
        ])
        try unpack(directory, second)
        #expect(treeListing(directory + "/rootfs") == ["d 0750 0:0 x", "l y -> x"])
    }

    @Test(.enabled(if: geteuid() == 0, "device nodes and ownership need root"))
    func devicesAndOwnership() throws {
        let directory = try makeTemporaryDirectory("imagepull-layer")
        defer { removeTree(directory) }
        let path = try layer(directory, [
            ["name": "dev", "type": "dir", "mode": 0o755],
            ["name": "dev/null", "type": "char", "mode": 0o666, "major": 1, "minor": 3],
            ["name": "dev/loop9", "type": "block", "mode": 0o660, "major": 7, "minor": 9, "gid": 6],
            ["name": "home", "type": "dir", "mode": 0o750, "uid": 1000, "gid": 1000],
            ["name": "home/setuid", "mode": 0o4755, "uid": 1000, "gid": 1000, "content": "x"],
            ["name": "home/link", "type": "symlink", "linkname": "setuid", "uid": 1000, "gid": 1000],
        ])
        try unpack(directory, path)
        #expect(treeListing(directory + "/rootfs") == [
            "d 0755 0:0 dev",
            "? 0660 0:6 dev/loop9",
            "? 0666 0:0 dev/null",
            "d 0750 1000:1000 home",
            "l home/link -> setuid",
            "f 4755 1000:1000 home/setuid \"x\"",
        ])
        var null = stat(), loop = stat(), link = stat()
        #expect(lstat(directory + "/rootfs/dev/null", &null) == 0)
        #expect(lstat(directory + "/rootfs/dev/loop9", &loop) == 0)
        #expect(lstat(directory + "/rootfs/home/link", &link) == 0)
        #expect(null.st_mode & S_IFMT == S_IFCHR && null.st_rdev == 0x103)
        #expect(loop.st_mode & S_IFMT == S_IFBLK && loop.st_rdev == 0x709)
        #expect(link.st_uid == 1000 && link.st_gid == 1000)
    }

    @Test func truncatedGzipIsMalformed() throws {
        let directory = try makeTemporaryDirectory("imagepull-layer")
        defer { removeTree(directory) }
        let path = try layer(directory, [["name": "file", "content": String(repeating: "data ", count: 2000)]], gzip: true)
        let bytes = try readFile(path)
        try writeFile(path, Array(bytes.prefix(bytes.count / 2)))
        #expect {
            try unpack(directory, path, gzip: true)
        } throws: { error in
            (error as? ImagePullError)?.kind == .malformed && "\(error)".hasPrefix("layer 1: ")
        }
    }
}
