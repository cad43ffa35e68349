/// How an agent instance runs: in the guest as PID 1 with the defaults, or on a
/// host for tests with its own state directory, cgroup parent and runtime.
public struct AgentConfiguration: Sendable {
    /// Where bundles, sandbox files and the runtime's state live.
    public var stateDirectory = "/run/kata-containers"
    /// The OCI runtime: crun in the guest.
    public var runtimePath = "/usr/bin/crun"
    /// Parent of the containers' cgroups when their spec names none.
    public var cgroupParent = "/kata"
    /// Whether SetGuestDateTime may set the clock: only a guest's, never a host's.
    public var maySetClock = false
    /// `agent.container_pipe_size` (0: the kernel's default).
    public var containerPipeSize = 0
    /// Where the kernel command line's parameters for guest components are written.
    public var guestComponentsParametersFile = "/run/kata-containers/guest-components/agent-params.env"
    /// The network namespace the network RPCs act on (a path such as
    /// /run/netns/NAME); nil: the agent's own, as in a guest.
    public var networkNamespace: String?
    /// Where the sandbox's DNS configuration is bind-mounted (the guest's
    /// empty /etc/resolv.conf); nil leaves it in the state directory only, as
    /// on a host, whose own resolv.conf must never be covered.
    public var resolvConfMountPoint: String?
    /// The pod sandbox's bundle the guest image carries (its `rootfs/pause`):
    /// what a guest-pulled sandbox runs, instead of pulling a pause image.
    public var pauseBundle = "/pause_bundle"
    /// The initdata disk (an image file for host tests); nil: the virtio-blk
    /// disk whose serial is `initdata`, if the guest has one.
    public var initDataDevice: String?
    /// Agent version reported by Version and GetGuestDetails.
    public var version = "0.1.0"

    public init() {}
}
