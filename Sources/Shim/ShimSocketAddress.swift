import Digests
import Files

/// Where a shim listens, computed as containerd's Go shims compute it, so that
/// the containers of one pod find the socket of their sandbox's shim:
/// `unix://<socket dir>/<hex sha256(<-address> + "/" + <namespace> + "/" + <group id>)>`.
public struct ShimSocketAddress: Sendable, Equatable, CustomStringConvertible {
    /// containerd 1.6 and 1.7 hard-code it whatever their state directory;
    /// 2.3 sends `socket_dir` in BootstrapParams.
    public static let defaultSocketDirectory = "/run/containerd/s"
    /// Go's shim library refuses longer paths (sun_path is 108 bytes).
    public static let maximumPathLength = 106

    public let path: String

    public struct TooLong: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var description: String {
            "shim socket path \(path) is \(path.utf8.count) bytes, more than \(ShimSocketAddress.maximumPathLength): use a shorter socket_dir in containerd's shim manager configuration"
        }
    }

    /// - Parameters:
    ///   - containerdAddress: the `-address` flag (containerd's gRPC socket).
    ///   - groupID: the task id, or the pod's sandbox id (`GroupID.of`).
    public init(containerdAddress: String, namespace: String, groupID: String,
                socketDirectory: String = ShimSocketAddress.defaultSocketDirectory) throws {
        let digest = SHA2.sha256(Array("\(containerdAddress)/\(namespace)/\(groupID)".utf8)).hexString
        let directory = socketDirectory.hasSuffix("/") ? String(socketDirectory.dropLast()) : socketDirectory
        let path = directory + "/" + digest
        guard path.utf8.count <= Self.maximumPathLength else { throw TooLong(path: path) }
        self.path = path
    }

    /// The socket path in a bundle's `address` file (`unix://…`, written by `start`), if any.
    public static func path(inAddressFile file: String) -> String? {
        guard let text = try? readTextFile(file) else { return nil }
        let address = text.filter { !$0.isWhitespace }
        return address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : nil
    }

    /// The address as containerd reads it from `start`'s output.
    public var description: String { "unix://" + path }

    /// The id that groups tasks into one shim: a CRI pod's sandbox id
    /// (`io.kubernetes.cri.sandbox-id`, or `io.containerd.runc.v2.group`, which
    /// the runc shim also honours), else the task id.
    public static func groupID(taskID: String, annotations: [String: String]) -> String {
        for key in ["io.kubernetes.cri.sandbox-id", "io.containerd.runc.v2.group"] {
            if let value = annotations[key], !value.isEmpty { return value }
        }
        return taskID
    }
}
