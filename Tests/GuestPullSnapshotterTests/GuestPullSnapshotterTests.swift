import Files
import Foundation
import GuestPullSnapshotter
import TestSupport
import Testing

/// The persistent snapshotter: what containerd was told survives a restart.
@Suite struct GuestPullSnapshotterTests {
    @Test func stateSurvivesARestart() async throws {
        let root = try makeTemporaryDirectory("snap-state") + "/root"
        defer { removeTree(String(root.dropLast("/root".count))) }

        let first = try GuestPullSnapshotter(root: root)
        _ = try await first.prepare(key: "default/1/extract-1 sha256:c1", parent: "",
                                    labels: [SnapshotLabels.reference: "sha256:c1", SnapshotLabels.imageReference: "img:1"])
        guard case .mounts(let mounts) = try await first.prepare(key: "ctr", parent: "sha256:c1", labels: [:]) else {
            Issue.record("container snapshot got no mounts")
            return
        }
        var status = stat()
        #expect(stat(first.stateFile.path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)

        let second = try GuestPullSnapshotter(root: root)
        #expect(await second.list() == first.list())
        #expect(try await second.stat(key: "sha256:c1").kind == .committed)
        #expect(try await second.mounts(key: "ctr") == mounts)
        try await second.remove(key: "ctr")

        let third = try GuestPullSnapshotter(root: root)
        #expect(await third.list().map(\.name) == ["sha256:c1"])
    }

    @Test func refusedChangesAreNotSaved() async throws {
        let root = try makeTemporaryDirectory("snap-state")
        defer { removeTree(root) }
        let snapshotter = try GuestPullSnapshotter(root: root)
        await #expect(throws: SnapshotterError.self) { try await snapshotter.prepare(key: "c", parent: "absent", labels: [:]) }
        #expect(access(snapshotter.stateFile.path, F_OK) != 0)
    }

    @Test func aCorruptStateFileIsNamedWithTheFix() throws {
        let root = try makeTemporaryDirectory("snap-state")
        defer { removeTree(root) }
        try writeFile(root + "/snapshots.json", Array("{not json".utf8))
        #expect {
            _ = try GuestPullSnapshotter(root: root)
        } throws: { error in
            "\(error)".contains(root + "/snapshots.json") && "\(error)".contains("move it away")
        }
    }
}
