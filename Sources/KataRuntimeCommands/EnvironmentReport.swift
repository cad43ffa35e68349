import KataConfig

/// What `kata-runtime env` prints: the resolved configuration, where it came
/// from, its assets, versions and the host, as one JSON object or as
/// TOML-like text (Kata's `kata-env`).
///
/// Sections (the JSON object's keys, the text's tables):
/// - `Meta`: `Version`, the format version of this output.
/// - `Runtime`: `Name`, `Version`, `Commit` of this runtime.
/// - `Config`: `Path` (symlinks resolved), `Name`, `Source` (how it was chosen),
///   `DropIns` (applied, in order), `Warnings` (unknown keys, replaced values).
/// - `Hypervisor`: `Path`, `Version`, `VersionLine`, `ConfidentialObjects`
///   (those QEMU knows), `Error` (when QEMU could not be run), `Accelerator`,
///   `MachineType`, `ConfidentialGuest`, `ConfidentialTechnology`.
/// - `Agent`: `Channel`, `DialTimeoutSeconds`, `Debug`, `DebugConsole`.
/// - `Assets`: per asset (`qemu`, `kernel`, `image`, `initrd`, `firmware`,
///   `virtio_fs_daemon`, ...) its `Key`, `Path`, `Exists` and `Size` (bytes).
/// - `Host`: `KVM`, `CPUVirtualization`, `Nested`, `VhostVsock`, `VhostNet`,
///   `TDX`, `SEVSNP`, `SEV`, `CPUs`, `MemoryMiB`.
/// - `Configuration`: every key of every section with the value in use.
/// - `Origins`: for keys a file set, that file (others keep their default).
public struct EnvironmentReport: Sendable {
    /// The format version of the output (`Meta.Version`).
    public static let formatVersion = "1"

    public var value: JSONValue

    public init(loaded: LoadedConfiguration, source: String, host: HostFacts, qemu: Result<QEMUFacts, QEMUProbeError>) {
        let c = loaded.configuration
        let resolved = ResolvedConfiguration(loaded)
        var sections: [(String, JSONValue)] = [
            ("Meta", .object([("Version", .string(Self.formatVersion))])),
            ("Runtime", .object([
                ("Name", .string("kata-runtime")),
                ("Version", .string(RuntimeRelease.version)),
                ("Commit", .string(RuntimeRelease.revision)),
            ])),
            ("Config", .object([
                ("Path", .string(loaded.path)),
                ("Name", .string(loaded.name)),
                ("Source", .string(source)),
                ("DropIns", .array(loaded.dropIns.map { .string($0) })),
                ("Warnings", .array(loaded.warnings.map { .string($0.description) })),
            ])),
        ]
        sections.append(("Hypervisor", Self.hypervisor(c, host: host, qemu: qemu)))
        sections.append(("Agent", .object([
            ("Channel", .string(c.hypervisor.agentChannel.rawValue)),
            ("DialTimeoutSeconds", .unsigned(UInt64(c.agent.dialTimeoutSeconds))),
            ("Debug", .bool(c.agent.enableDebug)),
            ("DebugConsole", .bool(c.agent.debugConsoleEnabled)),
        ])))
        sections.append(("Assets", .object(ConfigurationAsset.assets(of: c).map(Self.asset))))
        sections.append(("Host", Self.host(host)))
        sections.append(("Configuration", .object(resolved.sections.map { section in
            (section, .object(resolved.entries.filter { $0.section == section }.map { ($0.key, $0.value) }))
        })))
        sections.append(("Origins", .object(resolved.entries.filter { $0.origin != "default" }.map { ($0.keyPath, .string($0.origin)) })))
        value = .object(sections)
        origins = Dictionary(uniqueKeysWithValues: resolved.entries.map { ($0.keyPath, $0.origin) })
    }

    /// Key path → file, for the text form's comments.
    private var origins: [String: String]

    /// The TOML-like text: one table per section, nested objects as
    /// sub-tables, each configuration key commented with the file that set it.
    public var text: String {
        guard case .object(let sections) = value else { return "" }
        var out: [String] = []
        for (name, section) in sections where name != "Origins" {
            Self.appendTable(name: name, value: section, to: &out, comment: name == "Configuration" ? origins : [:], prefix: "")
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func appendTable(name: String, value: JSONValue, to out: inout [String],
                                    comment: [String: String], prefix: String) {
        guard case .object(let fields) = value else { return }
        let scalars = fields.filter { if case .object = $0.1 { return false } else { return true } }
        let tables = fields.filter { if case .object = $0.1 { return true } else { return false } }
        if !scalars.isEmpty || tables.isEmpty {
            if !out.isEmpty { out.append("") }
            out.append("[\(name)]")
            for (key, field) in scalars {
                // TOML has no null: say that the key is unset.
                if field == .null {
                    out.append("  # \(tomlKey(key)) is not set")
                    continue
                }
                let origin = comment[prefix + key].map { $0 == "default" ? "" : "  # \($0)" } ?? ""
                out.append("  \(tomlKey(key)) = \(field.tomlText)\(origin)")
            }
        }
        for (key, table) in tables {
            // Configuration sections are key paths themselves: `hypervisor.qemu`.
            let childPrefix = comment.isEmpty ? "" : key + "."
            appendTable(name: name + "." + tomlKey(key), value: table, to: &out, comment: comment, prefix: childPrefix)
        }
    }

    /// A bare key when TOML allows one, else quoted.
    private static func tomlKey(_ key: String) -> String {
        let bare = key.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-" }
        return bare && !key.isEmpty ? key : JSONValue.quoted(key)
    }

    private static func hypervisor(_ c: KataConfiguration, host: HostFacts, qemu: Result<QEMUFacts, QEMUProbeError>) -> JSONValue {
        var fields: [(String, JSONValue)] = [("Path", .string(c.hypervisor.path))]
        switch qemu {
        case .success(let facts):
            fields += [
                ("Version", .string(facts.version)),
                ("VersionLine", .string(facts.versionLine)),
                ("ConfidentialObjects", .array(facts.confidentialTechnologies.map { .string($0.qemuObjectType) })),
            ]
        case .failure(let error):
            fields.append(("Error", .string(error.description)))
        }
        let technology = ConfidentialTechnology.required(by: c.hypervisor, on: host)
        fields += [
            ("Accelerator", .string(c.hypervisor.accelerator.rawValue)),
            ("MachineType", .string(c.hypervisor.machineType)),
            ("ConfidentialGuest", .bool(c.hypervisor.confidentialGuest)),
            ("ConfidentialTechnology", .string(technology?.rawValue ?? "")),
        ]
        return .object(fields)
    }

    private static func asset(_ asset: ConfigurationAsset) -> (String, JSONValue) {
        // `path` alone would not say which binary.
        let name = asset.key == "hypervisor.qemu.path" ? "qemu" : asset.key.split(separator: ".").last.map(String.init) ?? asset.key
        var fields: [(String, JSONValue)] = [("Key", .string(asset.key)), ("Path", .string(asset.path))]
        switch asset.state {
        case .file(let size): fields += [("Exists", .bool(true)), ("Size", .unsigned(size))]
        case .missing: fields += [("Exists", .bool(false)), ("Size", .unsigned(0))]
        case .notAFile: fields += [("Exists", .bool(true)), ("Size", .unsigned(0)), ("NotAFile", .bool(true))]
        }
        return (name, .object(fields))
    }

    private static func host(_ host: HostFacts) -> JSONValue {
        var kvm: [(String, JSONValue)]
        switch host.kvm {
        case .absent: kvm = [("KVM", .string("absent"))]
        case .usable: kvm = [("KVM", .string("usable"))]
        case .unusable(let reason): kvm = [("KVM", .string("unusable")), ("KVMReason", .string(reason))]
        }
        return .object(kvm + [
            ("CPUVirtualization", .string(host.cpuVirtualization.rawValue)),
            ("Nested", .bool(host.nested)),
            ("VhostVsock", .bool(host.hasVhostVsock)),
            ("VhostNet", .bool(host.hasVhostNet)),
            ("TDX", .bool(host.hasTDX)),
            ("SEVSNP", .bool(host.hasSEVSNP)),
            ("SEV", .bool(host.hasSEV)),
            ("CPUs", .unsigned(UInt64(host.cpuCount))),
            ("MemoryMiB", .unsigned(host.memoryMiB)),
        ])
    }
}
