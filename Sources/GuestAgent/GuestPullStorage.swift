import ChildProcesses
import Files
import Glibc
import ImagePull
import Protocols

/// The storage driver `image_guest_pull` (Confidential Containers' guest
/// pull): the host sends no rootfs, the agent pulls the image named by the
/// storage's source itself and mounts it as an overlay at the mount point
/// (`/run/kata-containers/<cid>/rootfs`), so the host never sees a layer.
/// The sandbox's source is `pause`: its image is the bundle baked into the
/// guest (`/pause_bundle`), as Kata's agent does.
struct GuestPullStorage: Sendable {
    static let driver = "image_guest_pull"

    /// Where images are unpacked and containers' writable layers live (guest memory).
    var workDirectory = "/run/kata-containers/image"
    /// The pause container's rootfs the guest image carries.
    var pauseRootfs = "/pause_bundle/rootfs"
    var puller = ImagePuller()

    /// What `mount` made, for `unmount`.
    struct Mounted: Sendable {
        var mountPoint: String
        var directory: String
    }

    /// Pulls (on a thread of its own: a pull takes seconds and blocks) and
    /// mounts. Errors name the image and what the registry said.
    func mount(_ storage: Grpc_Storage, containerID: String) async throws -> Mounted {
        let point = storage.mountPoint
        guard point.hasPrefix("/"), !point.split(separator: "/").contains("..") else {
            throw AgentError.invalid("storage \(Self.driver): mount_point \"\(point)\" must be an absolute path without \"..\"")
        }
        guard !storage.source.isEmpty else {
            throw AgentError.invalid("storage \(Self.driver) for container \(containerID): no image in source")
        }
        let directory = workDirectory + "/" + containerID
        removeTree(directory)
        try makeDirectories(directory + "/upper", mode: 0o755)
        try makeDirectories(directory + "/work", mode: 0o700)
        do {
            let lower: String
            if storage.source == "pause" {
                lower = pauseRootfs
            } else {
                lower = directory + "/rootfs"
                let puller = puller
                let reference = storage.source
                let result: Result<PulledImage, ImagePullError> = await DedicatedThread.run {
                    do throws(ImagePullError) {
                        return .success(try puller.pull(reference: reference, into: lower))
                    } catch {
                        return .failure(error)
                    }
                }
                if case .failure(let error) = result {
                    throw AgentError.failed("guest pull for container \(containerID): \(error)")
                }
            }
            try makeDirectories(point)
            try StorageMounter.mountFilesystem(
                source: "overlay", target: point, type: "overlay",
                options: ["lowerdir=\(lower)", "upperdir=\(directory)/upper", "workdir=\(directory)/work"])
        } catch {
            removeTree(directory)
            throw error
        }
        return Mounted(mountPoint: point, directory: directory)
    }

    /// Unmounts the rootfs and frees the image's memory.
    static func unmount(_ mounted: Mounted) {
        StorageMounter.unmount(mounted.mountPoint)
        removeTree(mounted.directory)
    }
}
