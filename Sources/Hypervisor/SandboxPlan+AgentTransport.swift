extension SandboxPlan {
    /// The device that carries the agent's ttrpc connection.
    public enum AgentTransport: Sendable, Equatable {
        /// vhost-vsock with a CID claimed on `/dev/vhost-vsock` (``VhostVsock/claim(devicePath:start:)``);
        /// `descriptor` is the claimed descriptor's number in QEMU:
        /// `-device vhost-vsock-pci,disable-modern=false,vhostfd=<descriptor>,id=vsock-<cid>,guest-cid=<cid>,bus=pcie.0`.
        case vsock(cid: UInt32, descriptor: Int32)
        /// A `virtserialport` named `agent.channel.0` on its own
        /// `virtio-serial-pci` controller, backed by a unix socket that QEMU
        /// serves at `socket` (`server=on,wait=off`).
        case virtioSerial(socket: String)
    }
}
