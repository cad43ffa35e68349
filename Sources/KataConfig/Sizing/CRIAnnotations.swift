/// containerd's CRI annotations on a pod sandbox's spec that carry the pod's
/// resources (`internal/cri/annotations/annotations.go`), set from
/// Kubernetes 1.23 with containerd 1.6.
public enum CRIAnnotations {
    public static let sandboxCPUPeriod = "io.kubernetes.cri.sandbox-cpu-period"
    public static let sandboxCPUQuota = "io.kubernetes.cri.sandbox-cpu-quota"
    public static let sandboxCPUShares = "io.kubernetes.cri.sandbox-cpu-shares"
    /// Bytes.
    public static let sandboxMemory = "io.kubernetes.cri.sandbox-memory"
}
