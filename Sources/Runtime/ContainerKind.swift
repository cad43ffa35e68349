/// What a task is to Kata, from its OCI annotations (Kata's `oci.ContainerType`
/// and `oci.SandboxID`): a pod's sandbox (the pause container, which boots the
/// VM), a container joining a pod's VM, or a container of its own (ctr,
/// nerdctl: no CRI annotations) that gets a VM like a sandbox.
public enum ContainerKind: Sendable, Equatable {
    case podSandbox
    case podContainer(sandboxID: String)
    case singleContainer

    /// The keys that say which kind, in the order Kata checks them, with the
    /// values that mean sandbox and container.
    static let typeKeys: [(key: String, sandbox: String, container: String)] = [
        ("io.kubernetes.cri.container-type", "sandbox", "container"),
        ("io.kubernetes.cri-o.ContainerType", "sandbox", "container"),
        ("io.kubernetes.docker.type", "podsandbox", "container"),
    ]
    static let sandboxIDKeys = ["io.kubernetes.cri.sandbox-id", "io.kubernetes.cri-o.SandboxID", "io.kubernetes.sandbox.id"]

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Decides from the spec's annotations; the first type key present decides.
    public init(annotations: [String: String]) throws {
        for (key, sandbox, container) in Self.typeKeys {
            guard let value = annotations[key] else { continue }
            switch value {
            case sandbox:
                self = .podSandbox
                return
            case container:
                guard let id = Self.sandboxIDKeys.lazy.compactMap({ annotations[$0] }).first(where: { !$0.isEmpty }) else {
                    throw Invalid(description: "annotation \(key)=\(value) without a sandbox id: set \(Self.sandboxIDKeys[0])")
                }
                self = .podContainer(sandboxID: id)
                return
            default:
                throw Invalid(description: "Unknown container type \(value) in annotation \(key): expected \(sandbox) or \(container)")
            }
        }
        self = .singleContainer
    }

    /// Whether this task boots a VM.
    public var ownsSandbox: Bool { !isPodContainer }

    public var isPodContainer: Bool {
        if case .podContainer = self { return true }
        return false
    }

    /// The value of Kata's `io.katacontainers.pkg.oci.container_type` annotation.
    public var kataAnnotationValue: String {
        switch self {
        case .podSandbox: "pod_sandbox"
        case .podContainer: "pod_container"
        case .singleContainer: "pod_sandbox"
        }
    }

    /// The sandbox a task belongs to: its own id unless it joins a pod.
    public func sandboxID(taskID: String) -> String {
        if case let .podContainer(id) = self { return id }
        return taskID
    }
}
