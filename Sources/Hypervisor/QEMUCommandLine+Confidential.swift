import KataConfig

extension QEMUCommandLine.Layout {
    /// Where Intel's quote generation service listens on the host.
    static let tdxQuoteGenerationSocket = "/var/run/tdx-qgs/qgs.socket"
    /// The QGS vsock port when the configuration names none.
    static let tdxQuoteGenerationDefaultPort: UInt32 = 4050

    /// The technology a confidential guest uses: the host's, as in Kata
    /// (`qemuAmd64.enableProtection`). An SEV-SNP host runs plain SEV unless
    /// `sev_snp_guest = true`; an SEV-only host runs SEV even when
    /// `sev_snp_guest = true` (Kata never upgrades).
    static func protection(_ configuration: HypervisorConfiguration, host: SandboxPlan.Host)
        throws(QEMUCommandLineError) -> SandboxPlan.GuestProtection
    {
        guard configuration.confidentialGuest else { return .none }
        guard configuration.accelerator == .kvm else {
            throw QEMUCommandLineError(
                .invalidConfiguration, key: "hypervisor.qemu.accelerator",
                "hypervisor.qemu.confidential_guest = true needs KVM: TDX and SEV-SNP cannot run under TCG; set accelerator = \"kvm\" in [hypervisor.qemu] on a TDX or SEV-SNP host, or use configuration-qemu-coco-dev.toml (confidential_guest = false) to develop under TCG")
        }
        switch host.guestProtection {
        case .none:
            throw QEMUCommandLineError(
                .hostUnsupported, key: "hypervisor.qemu.confidential_guest",
                "This system doesn't support Confidential Computing (Guest Protection): hypervisor.qemu.confidential_guest = true needs KVM with TDX (/sys/module/kvm_intel/parameters/tdx) or SEV-SNP/SEV (/sys/module/kvm_amd/parameters/sev_snp, sev) enabled; on this host use a non-confidential configuration such as configuration-qemu-coco-dev.toml")
        case .tdx:
            return .tdx
        case .snp:
            return configuration.sevSnpGuest ? .snp : .sev
        case .sev:
            return .sev
        }
    }

    /// The TDX, SEV-SNP or SEV object (and SEV's firmware drive).
    func protectionObject() -> [String] {
        switch protection {
        case .none:
            return []
        case .tdx:
            return ["-object", tdxObject()]
        case .snp:
            return ["-object", snpObject()]
        case .sev:
            return [
                "-object", "sev-guest,id=sev,cbitpos=\(plan.host.snpCBitPosition ?? 0),reduced-phys-bits=1",
                "-drive", "if=pflash,format=raw,readonly=on,file=\(Self.escaped(configuration.firmware))",
            ]
        }
    }

    /// `tdx-guest` takes a structured `quote-generation-socket`, which QEMU
    /// only accepts in the JSON form of `-object`. Keys in Kata's order
    /// (its Go struct's): `qom-type`, `id`, `mrconfigid`, `quote-generation-socket`.
    func tdxObject() -> String {
        var fields = [("qom-type", Self.json("tdx-guest")), ("id", Self.json("tdx"))]
        if let initData = plan.initData {
            fields.append(("mrconfigid", Self.json(initData.tdxMRConfigID)))
        }
        let port = configuration.tdxQuoteGenerationServiceSocketPort
        let socket: String
        if port == 0 && plan.host.tdxQuoteGenerationSocketExists {
            socket = "{\"type\":\"unix\",\"path\":\(Self.json(Self.tdxQuoteGenerationSocket))}"
        } else {
            let vsockPort = port == 0 ? Self.tdxQuoteGenerationDefaultPort : port
            // cid 2 is the host; QAPI's vsock address takes cid and port as strings.
            socket = "{\"type\":\"vsock\",\"cid\":\"2\",\"port\":\"\(vsockPort)\"}"
        }
        fields.append(("quote-generation-socket", socket))
        return "{" + fields.map { "\(Self.json($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    func snpObject() -> String {
        var options = [
            "sev-snp-guest", "id=snp", "cbitpos=\(plan.host.snpCBitPosition ?? 0)", "reduced-phys-bits=1",
            // The launch measurement covers -kernel, -initrd and -append.
            "kernel-hashes=on",
        ]
        if !configuration.snpIDBlock.isEmpty {
            options += ["id-block=\(Self.escaped(configuration.snpIDBlock))", "id-auth=\(Self.escaped(configuration.snpIDAuth))"]
        }
        if let policy = configuration.snpGuestPolicy { options.append("policy=\(policy)") }
        if let initData = plan.initData { options.append("host-data=\(initData.snpHostData)") }
        return options.joined(separator: ",")
    }

    /// A JSON string literal, escaped as Go's encoder escapes it (which also
    /// escapes `<`, `>` and `&`).
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += "\\u" + hex4(scalar.value)
            default:
                if scalar.value < 0x20 { out += "\\u" + hex4(scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
