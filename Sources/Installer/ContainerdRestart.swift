/// The command that restarts containerd so that it reads the new handlers:
/// `systemctl restart containerd`, entered into the host's namespaces (PID
/// 1's) with `nsenter` when this process runs in a pod with the host's file
/// system at `--host-root`; or the operator's own command, run by `/bin/sh -c`.
public struct ContainerdRestart: Sendable, Equatable {
    public let arguments: [String]

    public static let systemdCommand = ["systemctl", "restart", "containerd"]
    public static let hostNamespaces = ["nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--"]

    public init(hostRoot: HostRoot, command: String? = nil) {
        if let command {
            arguments = ["/bin/sh", "-c", command]
        } else if hostRoot.isHostItself {
            arguments = Self.systemdCommand
        } else {
            arguments = Self.hostNamespaces + Self.systemdCommand
        }
    }

    /// For messages: the words joined by spaces (the shell's own command as given).
    public var description: String {
        arguments.first == "/bin/sh" ? arguments[2] : arguments.joined(separator: " ")
    }
}
