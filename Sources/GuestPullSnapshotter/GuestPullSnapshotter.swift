import Files
import Logging

/// The snapshotter's state, serialised: each change is applied to a copy of
/// the table, saved, and only then kept, so that what containerd was told
/// always survives a restart.
public actor GuestPullSnapshotter {
    public nonisolated let stateFile: SnapshotStateFile
    private var table: SnapshotTable
    private let logger: Logger

    /// Loads the state under `root` (created with mode 0700 if missing).
    public init(root: String, logger: Logger = Logger(label: "kata-snapshotter")) throws {
        try makeDirectories(root, mode: 0o700)
        // Containers' mounts bind this (read-only) for containerd's short looks.
        let empty = root + "/empty"
        try makeDirectories(empty, mode: 0o555)
        stateFile = SnapshotStateFile(root: root)
        table = try stateFile.load()
        table.emptyDirectory = empty
        self.logger = logger
    }

    public func prepare(key: String, parent: String, labels: [String: String], kind: SnapshotKind = .active) throws -> PrepareOutcome {
        let outcome = try change { try $0.prepare(key: key, parent: parent, labels: labels, kind: kind, now: .now()) }
        switch outcome {
        case .layerRecorded(let chainID):
            logger.debug("layer kept off the host", metadata: ["key": "\(key)", "chain": "\(chainID)", "parent": "\(parent)"])
        case .mounts:
            logger.info("container snapshot", metadata: ["key": "\(key)", "kind": "\(kind.rawValue)", "parent": "\(parent)"])
        }
        return outcome
    }

    public func mounts(key: String) throws -> [SnapshotMount] {
        try table.mounts(key: key)
    }

    public func commit(name: String, key: String, labels: [String: String]) throws {
        try change { try $0.commit(name: name, key: key, labels: labels, now: .now()) }
    }

    public func remove(key: String) throws {
        try change { try $0.remove(key: key) }
        logger.debug("removed", metadata: ["key": "\(key)"])
    }

    public func stat(key: String) throws -> SnapshotRecord {
        try table.stat(key: key)
    }

    public func update(_ info: SnapshotRecord, fieldPaths: [String]) throws -> SnapshotRecord {
        try change { try $0.update(info, fieldPaths: fieldPaths, now: .now()) }
    }

    public func list() -> [SnapshotRecord] {
        table.list()
    }

    private func change<Result>(_ body: (inout SnapshotTable) throws -> Result) throws -> Result {
        var next = table
        let result = try body(&next)
        if next != table {
            try stateFile.save(next)
            table = next
        }
        return result
    }
}
