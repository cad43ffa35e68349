import GRPCCore
import GuestPullSnapshotter
import Protocols
import SnapshotsProtocol
import SwiftProtobuf

/// Conversions between the state machine's types and the protobuf messages.
enum SnapshotsMessages {
    static func mounts(_ mounts: [SnapshotMount]) -> [Containerd_Types_Mount] {
        mounts.map { mount in
            .with {
                $0.type = mount.type
                $0.source = mount.source
                $0.options = mount.options
            }
        }
    }

    /// Prepare's answer: mounts, or AlreadyExists for a layer recorded by
    /// chain id (containerd's unpacker then Stats the chain id and skips the
    /// layer; its metadata store walks for it).
    static func mountsResponse(_ outcome: PrepareOutcome) throws -> Containerd_Services_Snapshots_V1_PrepareSnapshotResponse {
        switch outcome {
        case .mounts(let list):
            return .with { $0.mounts = mounts(list) }
        case .layerRecorded(let chainID):
            throw SnapshotterError(.alreadyExists, "target snapshot \(chainID) already exists (pulled in the guest)")
        }
    }

    static func mounts(_ outcome: PrepareOutcome) throws -> [Containerd_Types_Mount] {
        try mountsResponse(outcome).mounts
    }

    static func info(_ record: SnapshotRecord) -> Containerd_Services_Snapshots_V1_Info {
        .with {
            $0.name = record.name
            $0.parent = record.parent
            $0.kind = kind(record.kind)
            $0.labels = record.labels
            $0.createdAt = timestamp(record.created)
            $0.updatedAt = timestamp(record.updated)
        }
    }

    /// The fields of an Update request that can change (name and labels);
    /// the rest is ignored as containerd's own snapshotters ignore it.
    static func record(_ info: Containerd_Services_Snapshots_V1_Info) -> SnapshotRecord {
        SnapshotRecord(name: info.name, parent: info.parent, kind: .committed, labels: info.labels,
                       created: SnapshotTime(seconds: 0), updated: SnapshotTime(seconds: 0))
    }

    static func kind(_ kind: SnapshotKind) -> Containerd_Services_Snapshots_V1_Kind {
        switch kind {
        case .view: .view
        case .active: .active
        case .committed: .committed
        }
    }

    static func timestamp(_ time: SnapshotTime) -> Google_Protobuf_Timestamp {
        Google_Protobuf_Timestamp(seconds: time.seconds, nanos: time.nanoseconds)
    }

    static func code(_ code: SnapshotterError.Code) -> RPCError.Code {
        switch code {
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .failedPrecondition: .failedPrecondition
        case .invalidArgument: .invalidArgument
        }
    }
}
