/// Every snapshot this snapshotter knows, and containerd's snapshot
/// operations on them: the whole state machine, without I/O or clock.
///
/// Layers never hold content: the guest pulls the image. A Prepare carrying
/// `containerd.io/snapshot.ref` (containerd's unpacker, once per layer)
/// records the layer as committed under that chain id and reports it as
/// already there. A container's snapshot on top of the layers mounts as one
/// `fuse.nydus-overlayfs` mount whose `io.katacontainers.volume=` option
/// carries the image's labels to Kata's shim (`ContainerVolume`).
public struct SnapshotTable: Sendable, Equatable {
    public private(set) var snapshots: [String: SnapshotRecord]
    /// What a container's mount shows the host (`ContainerVolume`): an empty directory.
    public var emptyDirectory: String

    public init(snapshots: [SnapshotRecord] = [], emptyDirectory: String = "/var/empty") {
        self.snapshots = Dictionary(snapshots.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.emptyDirectory = emptyDirectory
    }

    /// Prepare (writable) or, with `kind: .view`, View.
    public mutating func prepare(key: String, parent: String, labels: [String: String], kind: SnapshotKind = .active,
                                 now: SnapshotTime) throws(SnapshotterError) -> PrepareOutcome {
        guard snapshots[key] == nil else {
            throw SnapshotterError(.alreadyExists, "snapshot \(key) already exists")
        }
        let parentRecord = try committedParent(parent)
        if let chainID = labels[SnapshotLabels.reference], !chainID.isEmpty {
            if snapshots[chainID] == nil {
                snapshots[chainID] = SnapshotRecord(name: chainID, parent: parent, kind: .committed, labels: labels,
                                                    created: now, updated: now)
            }
            return .layerRecorded(chainID: chainID)
        }
        if Self.isExtraction(key: key) {
            // containerd's own unpack (`ctr images import`/`pull`, image.Unpack)
            // sends no chain id: it would write the layer through our mounts.
            throw SnapshotterError(.failedPrecondition, """
                snapshot \(key) is a layer extraction without the \(SnapshotLabels.reference) label: \
                this snapshotter keeps layers off the host and only takes images that containerd's CRI plugin pulls \
                (ctr: import with --no-unpack, then let CRI pull with this snapshotter)
                """)
        }
        snapshots[key] = SnapshotRecord(name: key, parent: parent, kind: kind, labels: labels, created: now, updated: now)
        return .mounts(try mounts(key: key, parentRecord: parentRecord))
    }

    /// The mounts of an active snapshot or view.
    public func mounts(key: String) throws(SnapshotterError) -> [SnapshotMount] {
        let record = try stat(key: key)
        guard record.kind != .committed else {
            throw SnapshotterError(.failedPrecondition, "snapshot \(key) is committed: only active snapshots and views have mounts")
        }
        return try mounts(key: key, parentRecord: record.parent.isEmpty ? nil : stat(key: record.parent))
    }

    /// Commits the active snapshot `key` as `name`, with `labels`.
    public mutating func commit(name: String, key: String, labels: [String: String], now: SnapshotTime) throws(SnapshotterError) {
        let record = try stat(key: key)
        guard record.kind == .active else {
            throw SnapshotterError(.failedPrecondition, "snapshot \(key) is \(record.kind.rawValue): only an active snapshot can be committed")
        }
        guard snapshots[name] == nil else {
            throw SnapshotterError(.alreadyExists, "snapshot \(name) already exists")
        }
        snapshots[key] = nil
        snapshots[name] = SnapshotRecord(name: name, parent: record.parent, kind: .committed, labels: labels,
                                         created: record.created, updated: now)
    }

    /// Removes `key`, refused while other snapshots sit on it.
    public mutating func remove(key: String) throws(SnapshotterError) {
        _ = try stat(key: key)
        let children = snapshots.values.filter { $0.parent == key }.map(\.name).sorted()
        guard children.isEmpty else {
            throw SnapshotterError(.failedPrecondition,
                                   "cannot remove snapshot \(key): snapshots \(children.joined(separator: ", ")) are based on it; remove them first")
        }
        snapshots[key] = nil
    }

    public func stat(key: String) throws(SnapshotterError) -> SnapshotRecord {
        guard let record = snapshots[key] else { throw .notFound(key) }
        return record
    }

    /// Updates the labels of `info.name` as containerd's storage does: no
    /// field paths replace all labels, `labels` too, `labels.KEY` sets or (an
    /// empty or missing value) removes one; other fields cannot change.
    public mutating func update(_ info: SnapshotRecord, fieldPaths: [String], now: SnapshotTime) throws(SnapshotterError) -> SnapshotRecord {
        var record = try stat(key: info.name)
        if fieldPaths.isEmpty {
            record.labels = info.labels
        }
        for path in fieldPaths {
            if path == "labels" {
                record.labels = info.labels
            } else if path.hasPrefix("labels.") {
                let label = String(path.dropFirst("labels.".count))
                if let value = info.labels[label], !value.isEmpty {
                    record.labels[label] = value
                } else {
                    record.labels[label] = nil
                }
            } else {
                throw SnapshotterError(.invalidArgument, "cannot update field \(path) of snapshot \(info.name): only labels can change")
            }
        }
        record.updated = now
        snapshots[info.name] = record
        return record
    }

    /// All snapshots, by name.
    public func list() -> [SnapshotRecord] {
        snapshots.values.sorted { $0.name < $1.name }
    }

    private func committedParent(_ parent: String) throws(SnapshotterError) -> SnapshotRecord? {
        guard !parent.isEmpty else { return nil }
        guard let record = snapshots[parent] else {
            throw SnapshotterError(.notFound, "parent snapshot \(parent) does not exist")
        }
        guard record.kind == .committed else {
            throw SnapshotterError(.invalidArgument, "parent snapshot \(parent) is \(record.kind.rawValue), not committed")
        }
        return record
    }

    private func mounts(key: String, parentRecord: SnapshotRecord?) throws(SnapshotterError) -> [SnapshotMount] {
        let volume = ContainerVolume.volume(layerLabels: parentRecord?.labels ?? [:], snapshotLabels: snapshots[key]?.labels ?? [:])
        do {
            return [ContainerVolume.mount(for: volume, option: try volume.mountOption(), emptyDirectory: emptyDirectory)]
        } catch {
            throw SnapshotterError(.invalidArgument, "snapshot \(key): cannot encode its Kata volume: \(error)")
        }
    }

    /// containerd's unpack key (`extract-<unique> <chain id>`), also under the
    /// metadata store's `<namespace>/<sequence>/` prefix.
    static func isExtraction(key: String) -> Bool {
        let parts = key.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        let name = parts.count == 3 && !parts[1].isEmpty && parts[1].allSatisfy(\.isNumber) ? parts[2] : Substring(key)
        return name.hasPrefix("extract-") && name.contains(" ")
    }
}
