extension SandboxPlan {
    /// The confidential-computing technology a host's KVM offers, decided as
    /// Kata decides it (`availableGuestProtection`): TDX when
    /// `/sys/module/kvm_intel/parameters/tdx` starts with `Y`; else SEV-SNP when
    /// `/sys/module/kvm_amd/parameters/sev_snp` does; else SEV when
    /// `/sys/module/kvm_amd/parameters/sev` does; else none.
    public enum GuestProtection: String, Sendable, Equatable, CaseIterable {
        case none
        case tdx
        case snp
        case sev
    }

    /// Host facts the command line depends on.
    public struct Host: Sendable, Equatable {
        /// The confidential-computing technology of the host's KVM.
        public var guestProtection: GuestProtection
        /// AMD's C-bit position (CPUID 0x8000001F EBX[5:0], 51 on EPYC):
        /// `cbitpos=` of the SEV and SEV-SNP objects.
        public var snpCBitPosition: UInt32?
        /// `/var/run/tdx-qgs/qgs.socket` exists: with
        /// `tdx_quote_generation_service_socket_port = 0` the TDX guest reaches
        /// the quote generation service there instead of on vsock port 4050.
        public var tdxQuoteGenerationSocketExists: Bool
        /// The host is itself a VM (`hypervisor` in `/proc/cpuinfo`): unless
        /// `disable_nesting_checks`, virtio devices get `disable-modern=true`, as in Kata.
        public var nested: Bool

        public init(guestProtection: GuestProtection = .none, snpCBitPosition: UInt32? = nil,
                    tdxQuoteGenerationSocketExists: Bool = false, nested: Bool = false) {
            self.guestProtection = guestProtection
            self.snpCBitPosition = snpCBitPosition
            self.tdxQuoteGenerationSocketExists = tdxQuoteGenerationSocketExists
            self.nested = nested
        }
    }
}
