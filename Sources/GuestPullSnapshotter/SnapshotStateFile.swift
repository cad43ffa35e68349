#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Files
import Glibc

/// The snapshot table on disk: one JSON file, replaced atomically on every
/// change, so that a restarted snapshotter still has containerd's snapshots.
public struct SnapshotStateFile: Sendable {
    public let path: String

    struct Contents: Codable {
        var version: Int
        var snapshots: [SnapshotRecord]
    }

    static let version = 1

    public init(root: String) {
        path = root + "/snapshots.json"
    }

    /// The saved table; an empty one before the first save.
    public func load() throws -> SnapshotTable {
        // Absent before the first save; any other failure to read is the caller's to see.
        guard access(path, F_OK) == 0 || errno != ENOENT else { return SnapshotTable() }
        let bytes = try readFile(path)
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: Data(bytes))
        } catch {
            throw SnapshotterError(.failedPrecondition,
                                   "\(path) is not a snapshot state file (\(error)); move it away to start empty (containerd then loses these snapshots: remove its images and pull them again)")
        }
        guard contents.version == Self.version else {
            throw SnapshotterError(.failedPrecondition, "\(path) has version \(contents.version), this snapshotter reads version \(Self.version)")
        }
        return SnapshotTable(snapshots: contents.snapshots)
    }

    public func save(_ table: SnapshotTable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(Contents(version: Self.version, snapshots: table.list()))
        try writeFileAtomically(path, Array(data), mode: 0o600)
    }
}
