import GRPCCore
import GuestPullSnapshotter
import Logging
import Protocols
import SnapshotsProtocol
import SwiftProtobuf

/// containerd's `containerd.services.snapshots.v1.Snapshots` over the
/// guest-pull state machine. The `snapshotter` field of each request is the
/// name containerd gave the proxy plugin; one process serves one snapshotter,
/// so it is not looked at.
struct SnapshotsService: Containerd_Services_Snapshots_V1_Snapshots.SimpleServiceProtocol {
    typealias Messages = SnapshotsMessages

    let snapshotter: GuestPullSnapshotter
    let logger: Logger

    func prepare(request: Containerd_Services_Snapshots_V1_PrepareSnapshotRequest,
                 context: ServerContext) async throws -> Containerd_Services_Snapshots_V1_PrepareSnapshotResponse {
        try await answer("Prepare", request.key) {
            try Messages.mountsResponse(try await snapshotter.prepare(key: request.key, parent: request.parent, labels: request.labels))
        }
    }

    func view(request: Containerd_Services_Snapshots_V1_ViewSnapshotRequest,
              context: ServerContext) async throws -> Containerd_Services_Snapshots_V1_ViewSnapshotResponse {
        try await answer("View", request.key) {
            let outcome = try await snapshotter.prepare(key: request.key, parent: request.parent, labels: request.labels, kind: .view)
            let mounts = try Messages.mounts(outcome)
            return .with { $0.mounts = mounts }
        }
    }

    func mounts(request: Containerd_Services_Snapshots_V1_MountsRequest,
                context: ServerContext) async throws -> Containerd_Services_Snapshots_V1_MountsResponse {
        try await answer("Mounts", request.key) {
            let mounts = try await snapshotter.mounts(key: request.key)
            return .with { $0.mounts = Messages.mounts(mounts) }
        }
    }

    func commit(request: Containerd_Services_Snapshots_V1_CommitSnapshotRequest,
                context: ServerContext) async throws -> Google_Protobuf_Empty {
        try await answer("Commit", request.key) {
            try await snapshotter.commit(name: request.name, key: request.key, labels: request.labels)
            return Google_Protobuf_Empty()
        }
    }

    func remove(request: Containerd_Services_Snapshots_V1_RemoveSnapshotRequest,
                context: ServerContext) async throws -> Google_Protobuf_Empty {
        try await answer("Remove", request.key) {
            try await snapshotter.remove(key: request.key)
            return Google_Protobuf_Empty()
        }
    }

    func stat(request: Containerd_Services_Snapshots_V1_StatSnapshotRequest,
              context: ServerContext) async throws -> Containerd_Services_Snapshots_V1_StatSnapshotResponse {
        try await answer("Stat", request.key) {
            let record = try await snapshotter.stat(key: request.key)
            return .with { $0.info = Messages.info(record) }
        }
    }

    func update(request: Containerd_Services_Snapshots_V1_UpdateSnapshotRequest,
                context: ServerContext) async throws -> Containerd_Services_Snapshots_V1_UpdateSnapshotResponse {
        try await answer("Update", request.info.name) {
            let record = try await snapshotter.update(Messages.record(request.info), fieldPaths: request.updateMask.paths)
            return .with { $0.info = Messages.info(record) }
        }
    }

    /// All snapshots in one message. Filters are not evaluated: containerd's
    /// metadata store checks what it walks (kind, parent and chain id) itself.
    func list(request: Containerd_Services_Snapshots_V1_ListSnapshotsRequest,
              response: RPCWriter<Containerd_Services_Snapshots_V1_ListSnapshotsResponse>,
              context: ServerContext) async throws {
        let records = await snapshotter.list()
        try await response.write(.with { $0.info = records.map(Messages.info) })
    }

    /// Nothing is stored on the host: every snapshot uses nothing.
    func usage(request: Containerd_Services_Snapshots_V1_UsageRequest,
               context: ServerContext) async throws -> Containerd_Services_Snapshots_V1_UsageResponse {
        try await answer("Usage", request.key) {
            _ = try await snapshotter.stat(key: request.key)
            return Containerd_Services_Snapshots_V1_UsageResponse()
        }
    }

    /// No directories, so nothing to clean up.
    func cleanup(request: Containerd_Services_Snapshots_V1_CleanupRequest,
                 context: ServerContext) async throws -> Google_Protobuf_Empty {
        Google_Protobuf_Empty()
    }

    /// Runs one call; a refusal becomes the gRPC status containerd maps
    /// back to the same errdefs kind.
    private func answer<Response>(_ method: String, _ key: String, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as SnapshotterError {
            logger.debug("\(method) refused", metadata: ["key": "\(key)", "error": "\(error.message)"])
            throw RPCError(code: Messages.code(error.code), message: error.message)
        } catch {
            logger.error("\(method) failed", metadata: ["key": "\(key)", "error": "\(error)"])
            throw RPCError(code: .internalError, message: "\(method) \(key): \(error)")
        }
    }
}
