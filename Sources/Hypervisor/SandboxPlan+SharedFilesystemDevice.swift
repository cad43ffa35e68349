extension SandboxPlan {
    /// The device that shares the sandbox directory with the guest (mount tag `kataShared`).
    public enum SharedFilesystemDevice: Sendable, Equatable {
        /// `shared_fs = "none"`: no device.
        case none
        /// `shared_fs = "virtio-fs"`: virtiofsd's vhost-user socket, and 16
        /// lowercase hex digits (random in Kata) that name the chardev `char-<id>`.
        case virtioFS(socketPath: String, deviceID: String)
        /// `shared_fs = "virtio-9p"`: the host directory QEMU exports itself.
        case virtio9P(hostPath: String)
    }
}
