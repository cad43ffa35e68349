import GuestPullSnapshotter
import Testing

/// The state machine as containerd's unpacker and CRI drive it, in memory.
@Suite struct SnapshotTableTests {
    static let t0 = SnapshotTime(seconds: 1_700_000_000, nanoseconds: 5)
    static let t1 = SnapshotTime(seconds: 1_700_000_100)

    static func layerLabels(chainID: String, layer: String) -> [String: String] {
        [
            SnapshotLabels.reference: chainID,
            SnapshotLabels.imageReference: "registry.example/app:1",
            SnapshotLabels.layerDigest: layer,
            SnapshotLabels.manifestDigest: "sha256:manifest",
        ]
    }

    /// Two layers recorded the way the metadata store names them (`<ns>/<seq>/extract-… <chain>`).
    static func twoLayers() throws -> SnapshotTable {
        var table = SnapshotTable()
        let first = try table.prepare(key: "default/1/extract-1 sha256:c1", parent: "",
                                      labels: layerLabels(chainID: "sha256:c1", layer: "sha256:l1"), now: t0)
        #expect(first == .layerRecorded(chainID: "sha256:c1"))
        let second = try table.prepare(key: "default/2/extract-2 sha256:c2", parent: "sha256:c1",
                                       labels: layerLabels(chainID: "sha256:c2", layer: "sha256:l2"), now: t0)
        #expect(second == .layerRecorded(chainID: "sha256:c2"))
        return table
    }

    @Test func layerIsCommittedUnderItsChainIDWithoutItsKey() throws {
        let table = try Self.twoLayers()
        let top = try table.stat(key: "sha256:c2")
        #expect(top.kind == .committed)
        #expect(top.parent == "sha256:c1")
        #expect(top.labels[SnapshotLabels.layerDigest] == "sha256:l2")
        #expect(top.created == Self.t0)
        #expect(table.list().map(\.name) == ["sha256:c1", "sha256:c2"])
        #expect(throws: SnapshotterError.self) { try table.stat(key: "default/2/extract-2 sha256:c2") }
    }

    @Test func layerPreparedAgainKeepsTheFirstRecord() throws {
        var table = try Self.twoLayers()
        let again = try table.prepare(key: "default/9/extract-9 sha256:c2", parent: "sha256:c1",
                                      labels: Self.layerLabels(chainID: "sha256:c2", layer: "other"), now: Self.t1)
        #expect(again == .layerRecorded(chainID: "sha256:c2"))
        #expect(try table.stat(key: "sha256:c2").labels[SnapshotLabels.layerDigest] == "sha256:l2")
    }

    @Test func layerOnAMissingParentIsNotFound() {
        var table = SnapshotTable()
        #expect {
            try table.prepare(key: "k", parent: "sha256:absent", labels: Self.layerLabels(chainID: "sha256:c2", layer: "l"), now: Self.t0)
        } throws: { ($0 as? SnapshotterError)?.code == .notFound }
    }

    @Test func containerSnapshotMountsAGuestPullVolume() throws {
        var table = try Self.twoLayers()
        let outcome = try table.prepare(key: "default/3/container-a", parent: "sha256:c2",
                                        labels: ["containerd.io/snapshot/extra": "own"], now: Self.t1)
        guard case .mounts(let mounts) = outcome else {
            Issue.record("a container snapshot got \(outcome)")
            return
        }
        #expect(mounts.count == 1)
        let mount = try #require(mounts.first)
        // A read-only bind of an empty directory that containerd can mount for a moment.
        #expect(mount.type == "bind")
        #expect(mount.source == "/var/empty")
        #expect(mount.options.prefix(2) == ["ro", "rbind"])
        #expect(mount.options.count == 3)
        let volume = try #require(try KataVirtualVolume.decode(mountOption: mount.options[2]))
        #expect(volume.volumeType == "image_guest_pull")
        #expect(volume.source == "registry.example/app:1")
        #expect(volume.fsType == "overlay")
        #expect(volume.options.isEmpty)
        #expect(volume.imagePull?.metadata == [
            SnapshotLabels.imageReference: "registry.example/app:1",
            SnapshotLabels.layerDigest: "sha256:l2",
            SnapshotLabels.manifestDigest: "sha256:manifest",
            "containerd.io/snapshot/extra": "own",
        ])
        #expect(try table.stat(key: "default/3/container-a").kind == .active)
        #expect(try table.mounts(key: "default/3/container-a") == mounts)
    }

    @Test func mountOptionIsGoStandardBase64OfTheVolumeJSON() throws {
        let volume = KataVirtualVolume.guestPull(source: "a/b", metadata: ["k": "v"])
        let option = try volume.mountOption()
        #expect(option == "io.katacontainers.volume="
            + "eyJmc190eXBlIjoib3ZlcmxheSIsImltYWdlX3B1bGwiOnsibWV0YWRhdGEiOnsiayI6InYifX0sIm9wdGlvbnMiOltdLCJzb3VyY2UiOiJhL2IiLCJ2b2x1bWVfdHlwZSI6ImltYWdlX2d1ZXN0X3B1bGwifQ==")
    }

    @Test func viewIsAViewWithTheSameMount() throws {
        var table = try Self.twoLayers()
        let outcome = try table.prepare(key: "v", parent: "sha256:c2", labels: [:], kind: .view, now: Self.t1)
        #expect(try table.stat(key: "v").kind == .view)
        #expect(outcome == .mounts(try table.mounts(key: "v")))
    }

    @Test func unlabelledLayerExtractionIsRefusedWithTheFix() throws {
        var table = try Self.twoLayers()
        #expect {
            try table.prepare(key: "default/7/extract-123-456 sha256:c3", parent: "sha256:c2", labels: [:], now: Self.t1)
        } throws: { error in
            guard let error = error as? SnapshotterError else { return false }
            return error.code == .failedPrecondition && error.message.contains("containerd.io/snapshot.ref")
        }
        #expect(table.list().count == 2)
    }

    @Test func removeRefusesSnapshotsWithChildren() throws {
        var table = try Self.twoLayers()
        _ = try table.prepare(key: "c", parent: "sha256:c2", labels: [:], now: Self.t1)
        #expect {
            try table.remove(key: "sha256:c2")
        } throws: { ($0 as? SnapshotterError)?.code == .failedPrecondition }
        try table.remove(key: "c")
        try table.remove(key: "sha256:c2")
        try table.remove(key: "sha256:c1")
        #expect(table.list().isEmpty)
        #expect {
            try table.remove(key: "c")
        } throws: { ($0 as? SnapshotterError)?.code == .notFound }
    }

    @Test func duplicateKeysAreAlreadyExists() throws {
        var table = try Self.twoLayers()
        _ = try table.prepare(key: "c", parent: "sha256:c2", labels: [:], now: Self.t1)
        #expect {
            try table.prepare(key: "c", parent: "sha256:c2", labels: [:], now: Self.t1)
        } throws: { ($0 as? SnapshotterError)?.code == .alreadyExists }
    }

    @Test func commitTurnsAnActiveSnapshotIntoACommittedOne() throws {
        var table = try Self.twoLayers()
        _ = try table.prepare(key: "c", parent: "sha256:c2", labels: ["old": "1"], now: Self.t0)
        try table.commit(name: "committed", key: "c", labels: ["new": "2"], now: Self.t1)
        let record = try table.stat(key: "committed")
        #expect(record.kind == .committed)
        #expect(record.parent == "sha256:c2")
        #expect(record.labels == ["new": "2"])
        #expect(record.updated == Self.t1)
        #expect(throws: SnapshotterError.self) { try table.stat(key: "c") }
        #expect {
            try table.commit(name: "again", key: "committed", labels: [:], now: Self.t1)
        } throws: { ($0 as? SnapshotterError)?.code == .failedPrecondition }
        #expect {
            try table.mounts(key: "committed")
        } throws: { ($0 as? SnapshotterError)?.code == .failedPrecondition }
    }

    @Test func updateFollowsContainerdsFieldPaths() throws {
        var table = try Self.twoLayers()
        var info = try table.stat(key: "sha256:c1")
        info.labels = ["containerd.io/gc.root": "x", SnapshotLabels.layerDigest: ""]
        let one = try table.update(info, fieldPaths: ["labels.containerd.io/gc.root", "labels.\(SnapshotLabels.layerDigest)"], now: Self.t1)
        #expect(one.labels["containerd.io/gc.root"] == "x")
        #expect(one.labels[SnapshotLabels.layerDigest] == nil)
        #expect(one.labels[SnapshotLabels.reference] == "sha256:c1")
        #expect(one.updated == Self.t1)
        let all = try table.update(info, fieldPaths: [], now: Self.t1)
        #expect(all.labels == info.labels)
        #expect {
            try table.update(info, fieldPaths: ["parent"], now: Self.t1)
        } throws: { ($0 as? SnapshotterError)?.code == .invalidArgument }
    }
}
