/// containerd's CRI annotations on a pod sandbox's spec that carry the pod's
/// resources (`pkg/cri/annotations/annotations.go`). containerd 1.6.20
/// defines them but does not set them; later releases set them from the
/// pod's resources (`PodSandboxConfig.linux.resources`).
public enum CRIAnnotations {
    public static let sandboxCPUPeriod = "io.kubernetes.cri.sandbox-cpu-period"
    public static let sandboxCPUQuota = "io.kubernetes.cri.sandbox-cpu-quota"
    public static let sandboxCPUShares = "io.kubernetes.cri.sandbox-cpu-shares"
    /// Bytes.
    public static let sandboxMemory = "io.kubernetes.cri.sandbox-memory"
}
