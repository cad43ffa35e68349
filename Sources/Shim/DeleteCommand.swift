import CLinux
import Glibc
import Protocols
import Runtime
import SwiftProtobuf

/// `containerd-shim-kata-v2 ... delete`: containerd's cleanup after a shim
/// connection closed (every time, also after a normal Shutdown) or a shim
/// was found dead. From the persisted record it kills the VM of a dead shim
/// (its mounts live in the shim's mount namespace and go with it), removes
/// the sandbox's directories, the bundle's rootfs mount and a dead socket.
/// Idempotent and cheap when everything is gone already.
public enum DeleteCommand {
    /// Returns the serialized `DeleteResponse` to print on stdout.
    public static func run(flags: ShimFlags, bundle: String, stateRoot: String = "") throws -> [UInt8] {
        var pid: UInt32 = 0
        // A bundle without a readable spec still gets its mount and socket removed.
        let annotations = (try? BundleAnnotations.read(bundle: bundle)) ?? [:]
        let kind = (try? ContainerKind(annotations: annotations)) ?? .singleContainer
        if kind.ownsSandbox {
            let paths = SandboxPaths(sandboxID: flags.id, root: stateRoot)
            if let record = SandboxRecord.read(from: paths) { pid = UInt32(record.qemu?.pid ?? 0) }
            // As Kata's Cleanup: whatever the shim's state, the task is gone for containerd.
            SandboxRecord.cleanUp(paths)
        }
        _ = cs_umount_detach(bundle + "/rootfs")
        if !kind.isPodContainer, let path = ShimSocketAddress.path(inAddressFile: bundle + "/address"),
           !StartCommand.isServing(path) {
            unlink(path)
        }
        var response = Containerd_Task_V2_DeleteResponse()
        response.pid = pid
        response.exitStatus = 128 + UInt32(SIGKILL)
        response.exitedAt = EventPublisher.wallClock()
        return try response.serializedBytes()
    }
}
