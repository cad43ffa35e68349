import Protocols
import Runtime

/// A task containerd created in this shim: a container in the sandbox's VM,
/// its init process and its execs.
final class ShimContainer: @unchecked Sendable {
    let id: String
    let bundle: String
    let kind: ContainerKind
    let rootfs: [Containerd_Types_Mount]
    let initProcess: ShimProcess
    /// By containerd exec id. Only touched on the task controller's actor.
    var execs: [String: ShimProcess] = [:]

    init(id: String, bundle: String, kind: ContainerKind, rootfs: [Containerd_Types_Mount], initProcess: ShimProcess) {
        self.id = id
        self.bundle = bundle
        self.kind = kind
        self.rootfs = rootfs
        self.initProcess = initProcess
    }

    func process(_ execID: String) -> ShimProcess? {
        execID.isEmpty ? initProcess : execs[execID]
    }
}
