import Files
import Foundation
import GuestPullSnapshotter
import TestSupport
import Testing

/// kata-snapshotter behind a real containerd 1.6 as the proxy snapshotter
/// `kata-guest-pull`: the busybox image's layers are recorded, never
/// unpacked, and a container snapshot mounts a Kata guest-pull volume.
@Suite(.serialized) struct GuestPullEndToEndTests {
    static let snapshotter = "kata-guest-pull"
    static let binary = packageRoot + "/.build/debug/kata-snapshotter"
    static let replay = packageRoot + "/Tests/GuestPullSnapshotterTests/Fixtures/cri-unpack.py"

    /// A running kata-snapshotter and a private containerd using it; stopped by pid.
    final class Stack: @unchecked Sendable {
        let directory: String
        let snapshotterProcess: BackgroundProcess
        let containerd: PrivateContainerd
        var socket: String { directory + "/snap.sock" }
        var root: String { directory + "/root" }

        init() async throws {
            guard FileManager.default.isExecutableFile(atPath: GuestPullEndToEndTests.binary) else {
                throw CommandError(description: "\(GuestPullEndToEndTests.binary) is not built: swift build --build-tests")
            }
            directory = try makeTemporaryDirectory("snap-e2e")
            let socket = directory + "/snap.sock"
            snapshotterProcess = try BackgroundProcess(
                [GuestPullEndToEndTests.binary, "--root", directory + "/root", "--address", socket, "--log-level", "debug"],
                logPath: directory + "/snapshotter.log")
            let process = snapshotterProcess
            do {
                try await process.waitFor("kata-snapshotter's socket") { FileManager.default.fileExists(atPath: socket) || !process.isRunning }
                guard process.isRunning else { throw CommandError(description: "kata-snapshotter exited:\n\(process.log)") }
                containerd = try await PrivateContainerd(extraConfig: """
                    [proxy_plugins.\(GuestPullEndToEndTests.snapshotter)]
                      type = "snapshot"
                      address = "\(socket)"
                    """)
            } catch {
                process.stop()
                removeTree(directory)
                throw error
            }
        }

        func stop() {
            containerd.destroy()
            snapshotterProcess.stop()
            removeTree(directory)
        }

        func ctr(_ arguments: [String]) throws -> CommandResult {
            try containerd.ctr(arguments)
        }

        /// Paths under `directory` whose name is `name` with a parent named `parent`.
        func files(named name: String, in parent: String, under directory: String) -> [String] {
            let enumerator = FileManager.default.enumerator(atPath: directory)
            var found: [String] = []
            while let path = enumerator?.nextObject() as? String {
                let url = URL(fileURLWithPath: path)
                if url.lastPathComponent == name && url.deletingLastPathComponent().lastPathComponent == parent {
                    found.append(directory + "/" + path)
                }
            }
            return found
        }
    }

    /// The snapshot lines of `ctr snapshots ls`: KEY PARENT KIND.
    static func listing(_ output: String) -> [(key: String, parent: String, kind: String)] {
        output.split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            return (fields.first ?? "", fields.count == 3 ? fields[1] : "", fields.last ?? "")
        }
    }

    @Test func layersStayOffTheHostAndContainersMountAGuestPullVolume() async throws {
        let archive = try await NIOOffPool.run { try TestImages.busybox }
        let stack = try await Stack()
        defer { stack.stop() }

        let mode = try FileManager.default.attributesOfItem(atPath: stack.socket)[.posixPermissions] as? Int
        #expect(mode == 0o600, "socket mode \(String(mode ?? 0, radix: 8))")

        // The image's content, without containerd's own unpack.
        try #require(try stack.ctr(["images", "import", "--no-unpack", archive]).succeeded)
        let layout = stack.directory + "/layout"
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        try #require(try run(["tar", "-xf", archive, "-C", layout]).succeeded)
        let lease = try stack.ctr(["leases", "create", "--id", "guest-pull-test"])
        try #require(lease.succeeded, "\(lease.output)")

        // CRI's unpack, through containerd's Snapshots service and metadata store.
        let unpack = try run(["python3", Self.replay, "--address", stack.containerd.socket, "--snapshotter", Self.snapshotter,
                              "--namespace", "default", "--lease", "guest-pull-test", "--proto-root", packageRoot + "/proto",
                              "--layout", layout, "--image-ref", TestImages.busyboxReference], timeout: 120, package: "python3")
        try #require(unpack.succeeded, "\(unpack.output)\nsnapshotter log:\n\(stack.snapshotterProcess.log.suffix(3000))")
        let jsonLine = try #require(unpack.output.split(separator: "\n").last)
        let replayed = try JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any]
        let chainIDs = try #require(replayed?["chain_ids"] as? [String])
        let layers = try #require(replayed?["layers"] as? [String])
        let manifest = try #require(replayed?["manifest"] as? String)
        let top = try #require(chainIDs.last)

        // containerd lists the layers as committed, under their chain ids.
        let listed = try stack.ctr(["snapshots", "--snapshotter", Self.snapshotter, "ls"])
        try #require(listed.succeeded, "\(listed.output)")
        for (index, chainID) in chainIDs.enumerated() {
            let row = Self.listing(listed.output).first { $0.key == chainID }
            #expect(row?.kind == "Committed", "\(listed.output)")
            #expect(row?.parent == (index == 0 ? "" : chainIDs[index - 1]), "\(listed.output)")
        }

        // A container's snapshot: one read-only bind of an empty directory carrying the volume.
        let prepared = try stack.ctr(["snapshots", "--snapshotter", Self.snapshotter, "prepare", "busybox-rootfs", top])
        try #require(prepared.succeeded, "\(prepared.output)")
        let mounts = try stack.ctr(["snapshots", "--snapshotter", Self.snapshotter, "mounts", "/target", "busybox-rootfs"])
        try #require(mounts.succeeded, "\(mounts.output)")
        // ctr prints `mount -t TYPE SOURCE /target -o OPTIONS`.
        let words = mounts.output.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(words.starts(with: ["mount", "-t", "bind"]) && words.contains("/target"), "\(mounts.output)")
        let option = try #require(words.last?.split(separator: ",").last.map(String.init))
        let volume = try #require(try KataVirtualVolume.decode(mountOption: option), "\(mounts.output)")
        #expect(volume.volumeType == "image_guest_pull")
        #expect(volume.source == TestImages.busyboxReference)
        #expect(volume.fsType == "overlay")
        let metadata = try #require(volume.imagePull?.metadata)
        #expect(metadata[SnapshotLabels.imageReference] == TestImages.busyboxReference)
        #expect(metadata[SnapshotLabels.layerDigest] == layers.last)
        #expect(metadata[SnapshotLabels.manifestDigest] == manifest)
        #expect(metadata[SnapshotLabels.reference] == nil)

        // Nothing of the image's files on the host.
        for directory in [stack.containerd.root, stack.root] {
            #expect(stack.files(named: "busybox", in: "bin", under: directory).isEmpty, "\(directory) holds an unpacked bin/busybox")
        }

        // A layer under a container cannot go; the container, then the layers, can.
        let refused = try stack.ctr(["snapshots", "--snapshotter", Self.snapshotter, "rm", top])
        #expect(!refused.succeeded, "\(refused.output)")
        #expect(try stack.ctr(["snapshots", "--snapshotter", Self.snapshotter, "rm", "busybox-rootfs"]).succeeded)
        for chainID in chainIDs.reversed() {
            let removed = try stack.ctr(["snapshots", "--snapshotter", Self.snapshotter, "rm", chainID])
            #expect(removed.succeeded, "\(removed.output)")
        }
        // containerd removes backend snapshots in its garbage collection:
        // dropping the lease synchronously runs one.
        let released = try stack.ctr(["leases", "delete", "--sync", "guest-pull-test"])
        #expect(released.succeeded, "\(released.output)")
        let state = try String(contentsOfFile: stack.root + "/snapshots.json", encoding: .utf8)
        #expect(!state.contains("\"name\""), "the snapshotter still holds snapshots after containerd removed them: \(state)")
        #expect(!stack.containerd.log.contains("failed to extract layer"), "\(stack.containerd.log.suffix(3000))")
        #expect(!stack.containerd.log.contains("level=error"), "\(stack.containerd.log.suffix(3000))")
    }

    /// containerd's own unpack (`ctr images import`) sends no chain id: the
    /// snapshotter refuses it with the reason instead of taking the layer.
    @Test func containerdsOwnUnpackIsRefused() async throws {
        let archive = try await NIOOffPool.run { try TestImages.busybox }
        let stack = try await Stack()
        defer { stack.stop() }

        let imported = try stack.ctr(["images", "import", "--snapshotter", Self.snapshotter, archive])
        #expect(!imported.succeeded)
        #expect(imported.output.contains("containerd.io/snapshot.ref"), "\(imported.output)")
        #expect(stack.files(named: "busybox", in: "bin", under: stack.containerd.root).isEmpty)
        let listed = try stack.ctr(["snapshots", "--snapshotter", Self.snapshotter, "ls"])
        #expect(Self.listing(listed.output).isEmpty, "\(listed.output)")
    }
}
