/// `[runtime]`: the shim's own behaviour.
public struct RuntimeConfiguration: Sendable, Equatable {
    /// `enable_debug`
    public var enableDebug = false
    /// `internetworking_model`: `tcfilter`, `macvtap` or `none`.
    public var internetworkingModel = "tcfilter"
    /// `disable_guest_seccomp`: do not apply the containers' seccomp profiles in the guest.
    public var disableGuestSeccomp = true
    /// `sandbox_cgroup_only`
    public var sandboxCgroupOnly = false
    /// `static_sandbox_resource_mgmt`: size the VM at boot for the whole pod
    /// and never hot-plug (see ``SandboxSizing``).
    public var staticSandboxResourceMgmt = false
    /// `disable_guest_empty_dir`
    public var disableGuestEmptyDir = false
    /// `emptydir_mode`: `shared-fs`, `block-encrypted` or `block-plain`.
    public var emptydirMode = "shared-fs"
    /// `create_container_timeout` (seconds): the CreateContainer deadline,
    /// which with guest pull includes the image pull. Absent or 0 means 60
    /// (Kata would use a zero deadline there).
    public var createContainerTimeoutSeconds: UInt64 = 60
    /// `experimental_force_guest_pull`: pull every image in the guest, without a snapshotter.
    public var experimentalForceGuestPull = false
    /// `vfio_mode`: `guest-kernel` or `vfio`.
    public var vfioMode = "guest-kernel"
    /// `disable_new_netns`
    public var disableNewNetns = false
    /// `experimental`: feature names (see ``RuntimeConfiguration/experimentalFeatures``).
    public var experimental: [String] = []
    /// `dan_conf`: directory of directly attachable network configurations.
    public var danConf = "/run/kata-containers/dans"
    /// `kubelet_root_dir`
    public var kubeletRootDir = "/var/lib/kubelet"
    /// `enable_pprof`
    public var enablePprof = false
    /// `guest_selinux_label`
    public var guestSELinuxLabel = ""
    /// `enable_vcpus_pinning`
    public var enableVCPUsPinning = false
    /// `sandbox_bind_mounts`
    public var sandboxBindMounts: [String] = []

    /// The `experimental` features this runtime knows. `force_guest_pull` is
    /// runtime-rs's spelling of `experimental_force_guest_pull = true`.
    public static let experimentalFeatures = ["force_guest_pull"]

    /// The internetworking models Kata accepts.
    public static let internetworkingModels = ["tcfilter", "macvtap", "none"]
    /// The VFIO modes Kata accepts.
    public static let vfioModes = ["guest-kernel", "vfio"]
    /// The emptyDir modes Kata accepts.
    public static let emptydirModes = ["shared-fs", "block-encrypted", "block-plain"]

    /// Guest pull for every container, from either spelling.
    public var forceGuestPull: Bool {
        experimentalForceGuestPull || experimental.contains("force_guest_pull")
    }

    public init() {}
}
