extension SandboxPlan {
    /// One network endpoint as Kata cold-plugs it with `internetworking_model = "tcfilter"`:
    /// `-netdev tap,id=network-<i>,vhost=on,vhostfds=<a:b>,fds=<x:y>`
    /// `-device driver=virtio-net-pci,netdev=network-<i>,mac=<mac>,bus=pcie.0,disable-modern=false,mq=on,vectors=<2n+2>`.
    public struct NetworkTap: Sendable, Equatable {
        /// The tap queue descriptors in QEMU, one per queue (at least one).
        public var tapDescriptors: [Int32]
        /// The vhost-net descriptors in QEMU; empty with `disable_vhost_net = true`.
        public var vhostDescriptors: [Int32]
        /// The guest interface's MAC, `aa:bb:cc:dd:ee:ff` (the veth's address in Kata).
        public var macAddress: String

        public init(tapDescriptors: [Int32], vhostDescriptors: [Int32] = [], macAddress: String) {
            self.tapDescriptors = tapDescriptors
            self.vhostDescriptors = vhostDescriptors
            self.macAddress = macAddress
        }
    }
}
