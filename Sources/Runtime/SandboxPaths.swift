/// Where a sandbox lives on the host, with Kata's names (kata-shim-compat §1.9):
/// persisted state under `/run/vc/sbs/<sid>`, the VM's sockets and pidfile
/// under `/run/vc/vm/<sid>`, and the directory shared with the guest under
/// `/run/kata-containers/shared/sandboxes/<sid>`. `root` prefixes all of
/// them (empty in production).
public struct SandboxPaths: Sendable, Equatable {
    public var sandboxID: String
    public var root: String

    public init(sandboxID: String, root: String = "") {
        self.sandboxID = sandboxID
        self.root = root
    }

    /// `/run/vc/sbs/<sid>`: the record that `delete` reads after a crash.
    public var stateDirectory: String { root + "/run/vc/sbs/" + sandboxID }
    public var recordFile: String { stateDirectory + "/sandbox.json" }
    /// `/run/vc/sbs/<sid>/shim-monitor.sock`: the shim's management socket
    /// (HTTP: `/metrics`, `/agent-url`), what `kata-runtime metrics` dials.
    public var monitorSocket: String { stateDirectory + "/shim-monitor.sock" }
    /// `/run/vc/vm/<sid>`: QMP, console, agent serial and virtiofsd sockets, pidfile.
    public var vmDirectory: String { root + "/run/vc/vm/" + sandboxID }
    /// `/run/kata-containers/shared/sandboxes/<sid>`.
    public var shareRoot: String { root + "/run/kata-containers/shared/sandboxes/" + sandboxID }
    /// What the guest mounts as `kataShared` (virtiofsd's source, 9p's path).
    public var sharedDirectory: String { shareRoot + "/shared" }

    /// `/run/kata-containers/shared/initdata/<sid>`: the initdata disk's directory.
    public var initDataDirectory: String { root + "/run/kata-containers/shared/initdata/" + sandboxID }
    /// The initdata disk (`cc_init_data`), attached as virtio-blk with serial `initdata`.
    public var initDataImage: String { initDataDirectory + "/data.img" }

    /// Where the guest sees `sharedDirectory`.
    public static let guestSharedDirectory = "/run/kata-containers/shared/containers"
    /// The sandbox's shm in the guest (an ephemeral tmpfs storage).
    public static let guestSandboxShm = "/run/kata-containers/sandbox/shm"

    /// Every directory of ours, deepest first (for removal).
    public var directories: [String] { [sharedDirectory, shareRoot, initDataDirectory, vmDirectory, stateDirectory] }
}
