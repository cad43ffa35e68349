import Files
import Foundation
import Glibc
import Testing
import TestSupport
@testable import ImagePull

/// Pulls from a real registry (Debian's docker-registry) images that the
/// Python pusher builds, and checks the unpacked tree exactly.
@Suite(.serialized, .enabled(if: RegistryServer.isInstalled, "\(RegistryServer.binary) is missing: apt-get install docker-registry"))
struct ImagePullerTests {
    /// A scratch directory for a rootfs, removed by the caller.
    private func scratch() throws -> String { try makeTemporaryDirectory("imagepull-root") }

    private let puller = ImagePuller(connectTimeout: 5, registryTimeout: 20, architecture: "amd64")

    /// What the two-layer image of hack/registry-push.py unpacks to, both layers applied.
    private static let twoLayerTree = [
        "d 0755 0:0 bin",
        "l bin/link-to-tool -> tool",
        "f 0755 0:0 bin/tool \"#!/bin/sh\\necho tool\\n\"",
        "f 0755 0:0 bin/tool-hardlink \"#!/bin/sh\\necho tool\\n\"",
        "d 0755 0:0 cache",
        "f 0644 0:0 cache/new \"new\\n\"",
        "d 0755 0:0 deep",
        "d 0755 0:0 deep/" + String(repeating: "d", count: 120),
        "f 0600 0:0 deep/" + String(repeating: "d", count: 120) + "/file.txt \"long\\n\"",
        "f 0644 0:0 deep/" + String(repeating: "d", count: 120) + "/second-" + String(repeating: "n", count: 110) + " \"gnu long name\\n\"",
        "d 0755 0:0 etc",
        "l etc/abs-link -> /etc/hello.txt",
        "f 0600 0:0 etc/added.txt \"added\\n\"",
        "f 0644 1000:1001 etc/hello.txt \"hello\\n\"",
        "l etc/link-dir -> /etc",
        "f 0644 0:0 etc/via-link.txt \"through a symlink inside the root\\n\"",
        "d 0755 0:0 run",
        "p 0640 0:0 run/fifo",
    ]

    @Test func twoLayerImageWithWhiteouts() async throws {
        try await withRegistry { registry in
            let manifestDigest = try registry.push("two-layer", "test/two", "1")
            let root = try scratch()
            defer { removeTree(root) }
            let image = try puller.pull(reference: "\(registry.address)/test/two:1", into: root + "/rootfs")

            #expect(treeListing(root + "/rootfs") == Self.twoLayerTree)
            #expect(image.manifestDigest == manifestDigest)
            #expect(image.rootfs == root + "/rootfs")
            #expect(image.configuration == ImageConfiguration(
                entrypoint: ["/bin/tool"], command: ["--flag"], environment: ["PATH=/bin", "A=b"],
                workingDirectory: "/etc", user: "1000:1001", os: "linux", architecture: "amd64"))

            // The hard link is one inode; times are the archive's (the
            // directory's too, though entries were written into it later).
            var tool = stat(), hardLink = stat(), bin = stat()
            #expect(lstat(root + "/rootfs/bin/tool", &tool) == 0)
            #expect(lstat(root + "/rootfs/bin/tool-hardlink", &hardLink) == 0)
            #expect(lstat(root + "/rootfs/bin", &bin) == 0)
            #expect(tool.st_ino == hardLink.st_ino)
            #expect(tool.st_nlink == 2)
            #expect(tool.st_mtim.tv_sec == 1_600_000_000)
            #expect(bin.st_mtim.tv_sec == 1_600_000_000)
            // Only the rootfs is left: the download directory is gone.
            #expect(directoryEntries(root) == ["rootfs"])
        }
    }

    @Test func pinnedByDigest() async throws {
        try await withRegistry { registry in
            let manifestDigest = try registry.push("two-layer", "test/two", "1")
            let root = try scratch()
            defer { removeTree(root) }
            let image = try puller.pull(reference: "\(registry.address)/test/two@\(manifestDigest)", into: root + "/rootfs")
            #expect(image.manifestDigest == manifestDigest)
            #expect(treeListing(root + "/rootfs") == Self.twoLayerTree)
        }
    }

    @Test func indexResolvesToLinuxAmd64() async throws {
        try await withRegistry { registry in
            let manifestDigest = try registry.push("two-layer", "test/two", "1")
            try registry.push("index", "test/two", "multi", [manifestDigest, "arm64", "amd64"])
            let root = try scratch()
            defer { removeTree(root) }
            let image = try puller.pull(reference: "\(registry.address)/test/two:multi", into: root + "/rootfs")
            #expect(image.manifestDigest == manifestDigest)
            #expect(treeListing(root + "/rootfs") == Self.twoLayerTree)
        }
    }

    @Test func indexWithoutThePlatformNamesWhatItHas() async throws {
        try await withRegistry { registry in
            let manifestDigest = try registry.push("two-layer", "test/two", "1")
            try registry.push("index", "test/two", "arm", [manifestDigest, "arm64", "s390x"])
            let root = try scratch()
            defer { removeTree(root) }
            let error = try #require(throws: ImagePullError.self) {
                try puller.pull(reference: "\(registry.address)/test/two:arm", into: root + "/rootfs")
            }
            #expect(error.kind == .platformNotFound)
            #expect(error.description.hasPrefix("pull \(registry.address)/test/two:arm: "))
            #expect(error.description.contains("no entry for linux/amd64; the index has linux/arm64, linux/s390x"))
        }
    }

    @Test func dockerManifestListAndMediaTypes() async throws {
        try await withRegistry { registry in
            let manifestDigest = try registry.push("docker", "test/docker", "1")
            let root = try scratch()
            defer { removeTree(root) }
            let image = try puller.pull(reference: "\(registry.address)/test/docker:1", into: root + "/rootfs")
            #expect(image.manifestDigest == manifestDigest)
            #expect(image.configuration.command == ["sh"])
            #expect(treeListing(root + "/rootfs") == ["f 0644 0:0 docker.txt \"docker media types\\n\""])
        }
    }

    @Test func authenticationIsNotSupportedYet() async throws {
        try await withRegistry(anonymous: false) { registry in
            let root = try scratch()
            defer { removeTree(root) }
            let error = try #require(throws: ImagePullError.self) {
                try puller.pull(reference: "\(registry.address)/private/image:1", into: root + "/rootfs")
            }
            #expect(error.kind == .authenticationRequired)
            #expect(error.description == "pull \(registry.address)/private/image:1: manifest: registry \(registry.address) requires authentication (401 Unauthorized), which is not supported yet; use a registry that allows anonymous pulls")
        }
    }

    @Test func unknownTagIs404NamingTheImage() async throws {
        try await withRegistry { registry in
            let root = try scratch()
            defer { removeTree(root) }
            let error = try #require(throws: ImagePullError.self) {
                try puller.pull(reference: "\(registry.address)/nope:1", into: root + "/rootfs")
            }
            #expect(error.kind == .status(404))
            #expect(error.description.hasPrefix("pull \(registry.address)/nope:1: manifest: 404 Not Found ("))
            #expect(error.description.contains("UNKNOWN"))
            #expect(directoryEntries(root).isEmpty)
        }
    }

    @Test func corruptBlobIsADigestMismatch() async throws {
        try await withRegistry { registry in
            try registry.push("corrupt", "test/corrupt", "1", [registry.storage])
            let root = try scratch()
            defer { removeTree(root) }
            let error = try #require(throws: ImagePullError.self) {
                try puller.pull(reference: "\(registry.address)/test/corrupt:1", into: root + "/rootfs")
            }
            #expect(error.kind == .digestMismatch)
            // Both digests: the manifest's and what arrived.
            let digests = error.description.split(separator: "sha256:").dropFirst().map { $0.prefix(64) }
            #expect(digests.count == 3 && Set(digests).count == 2, "\(error)")
            #expect(error.description.contains("not the manifest's sha256:\(digests[0])"))
            #expect(error.description.contains("layer 1/1"))
            #expect(directoryEntries(root + "/rootfs").isEmpty)
        }
    }

    @Test func entryLeavingTheRootIsRefused() async throws {
        try await withRegistry { registry in
            try registry.push("escape", "test/escape", "1")
            let root = try scratch()
            defer { removeTree(root) }
            let error = try #require(throws: ImagePullError.self) {
                try puller.pull(reference: "\(registry.address)/test/escape:1", into: root + "/rootfs")
            }
            #expect(error.kind == .unsafePath)
            #expect(error.description.contains("\"../escape\""))
            #expect(directoryEntries(root).sorted() == ["rootfs"])
            #expect(access(root + "/escape", F_OK) != 0)
        }
    }

    @Test func zstdLayerIsRefusedNamingItsMediaType() async throws {
        try await withRegistry { registry in
            try registry.push("zstd", "test/zstd", "1")
            let root = try scratch()
            defer { removeTree(root) }
            let error = try #require(throws: ImagePullError.self) {
                try puller.pull(reference: "\(registry.address)/test/zstd:1", into: root + "/rootfs")
            }
            #expect(error.kind == .unsupported)
            #expect(error.description.contains("application/vnd.oci.image.layer.v1.tar+zstd"))
        }
    }

    @Test func busyboxImageFromTheOCILayout() async throws {
        // Built on first use (hack/busybox-image.sh), as the shim tests do.
        let layout = try TestImages.busybox
        try await withRegistry { registry in
            let manifestDigest = try registry.push("oci-layout", "local/busybox", "local", [layout])
            let root = try scratch()
            defer { removeTree(root) }
            let image = try puller.pull(reference: "\(registry.address)/local/busybox:local", into: root + "/rootfs")
            #expect(image.manifestDigest == manifestDigest)
            #expect(image.configuration.command == ["/bin/sh"])
            var info = stat()
            #expect(lstat(root + "/rootfs/bin/busybox", &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o111 != 0)
            #expect(info.st_size > 100_000)
            let listing = treeListing(root + "/rootfs")
            #expect(listing.contains("l bin/sh -> busybox") || listing.contains("l bin/sh -> /bin/busybox"), "\(listing.prefix(20))")
            #expect(listing.filter { $0.hasPrefix("l ") }.count > 100)
        }
    }
}

/// Failures that need no registry at all.
@Suite struct ImagePullerOfflineTests {
    @Test func registryDownFailsWithinTheTimeout() throws {
        // A port that nothing listens on: bound by us, never listened.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let started = Date()
        let error = try #require(throws: ImagePullError.self) {
            try ImagePuller(connectTimeout: 3, registryTimeout: 3).pull(
                reference: "127.0.0.1:\(port)/busybox:1", into: "/nonexistent/never-created")
        }
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(error.kind == .unreachable)
        #expect(error.description.hasPrefix("registry 127.0.0.1:\(port) unreachable: connection refused"), "\(error)")
    }

    @Test func silentRegistryFailsAfterTheReadTimeout() throws {
        // Listening but never accepting: the kernel completes the connection,
        // nothing ever answers.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(bound && listen(fd, 4) == 0)
        let port = UInt16(bigEndian: address.sin_port)
        let started = Date()
        let error = try #require(throws: ImagePullError.self) {
            try ImagePuller(connectTimeout: 1, registryTimeout: 1).pull(
                reference: "127.0.0.1:\(port)/busybox:1", into: "/nonexistent/never-created")
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.9 && elapsed < 3)
        #expect(error.kind == .unreachable)
        #expect(error.description == "pull 127.0.0.1:\(port)/busybox:1: manifest: registry 127.0.0.1:\(port) stopped answering: no answer within 1.0 s")
    }
}
