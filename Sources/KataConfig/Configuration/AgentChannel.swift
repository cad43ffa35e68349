/// `agent_channel` in `[hypervisor.qemu]`: how the shim reaches the agent.
///
/// This key is ours: Kata always uses vhost-vsock with QEMU.
public enum AgentChannel: String, Sendable, Equatable, CaseIterable {
    /// vhost-vsock (Kata's channel): needs `/dev/vhost-vsock` on the host.
    case vsock
    /// A `virtserialport` named `agent.channel.0` backed by a unix socket on
    /// the host, for hosts without `/dev/vhost-vsock`.
    case virtioSerial = "virtio-serial"
}
