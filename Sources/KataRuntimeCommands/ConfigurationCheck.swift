import KataConfig

/// The verdict of `kata-runtime check` on one configuration: the facts it
/// relied on, the problems (each with its remedy) and the warnings.
public struct ConfigurationCheck: Sendable {
    /// One line of output.
    public struct Line: Sendable, Equatable, CustomStringConvertible {
        public enum Level: String, Sendable {
            case info = "INFO"
            case warning = "WARN"
            case error = "ERROR"
        }

        public var level: Level
        public var text: String
        /// Printed only with `--verbose`.
        public var verboseOnly: Bool

        public var description: String { "\(level.rawValue) \(text)" }
    }

    /// The configuration as the verdict names it: `configuration-qemu.toml`.
    public var name: String
    public var lines: [Line] = []
    public var problems: [HostProblem] = []
    public var warnings: [String] = []

    /// A configuration that could not be loaded: one problem, the loader's message.
    public init(name: String, loadError: ConfigurationError) {
        self.name = name
        problems = [HostProblem(requirement: "configuration", message: loadError.message)]
        lines = [Line(level: .error, text: loadError.message, verboseOnly: false)]
    }

    /// Checks `loaded` against the host and its QEMU.
    public init(loaded: LoadedConfiguration, source: String, host: HostFacts, qemu: Result<QEMUFacts, QEMUProbeError>) {
        name = loaded.name
        let configuration = loaded.configuration
        info("configuration \(loaded.path) (\(source))")
        for dropIn in loaded.dropIns { info("drop-in \(dropIn)", verboseOnly: true) }
        let relied = host.relevantFacts(for: configuration, everything: false)
        for fact in host.relevantFacts(for: configuration, everything: true) {
            info("host: \(fact)", verboseOnly: !relied.contains(fact))
        }
        if case .success(let facts) = qemu {
            let objects = facts.confidentialTechnologies.map(\.qemuObjectType)
            info("QEMU: \(facts.path), version \(facts.version.isEmpty ? facts.versionLine : facts.version), confidential objects: "
                + (objects.isEmpty ? "none" : objects.joined(separator: ", ")))
        }
        for warning in loaded.warnings { warn("configuration: \(warning)") }

        var found = HostRequirements.check(configuration, host: host)
        found += QEMURequirements.check(configuration, host: host, qemu: qemu)
        for asset in ConfigurationAsset.assets(of: configuration) where asset.key != "hypervisor.qemu.path" {
            // QEMU's binary is reported by QEMURequirements, once.
            if let problem = asset.problem(origin: loaded.origin(of: asset.key.split(separator: "[").first.map(String.init) ?? asset.key)) {
                found.append(problem)
            } else {
                info("\(asset.key): \(asset.path) exists", verboseOnly: true)
            }
        }
        for problem in found { error(problem.message) }
        problems = found
        for warning in HostRequirements.warnings(configuration, host: host) { warn(warning.message) }
    }

    /// Passes without problems, and with `strict` without warnings.
    public func passes(strict: Bool) -> Bool {
        problems.isEmpty && (!strict || warnings.isEmpty)
    }

    /// `configuration-qemu.toml: this host cannot run it (2 problems)`.
    public func verdict(strict: Bool) -> String {
        let warningCount = Self.count(warnings.count, "warning")
        if passes(strict: strict) {
            return "\(name): this host can run it" + (warnings.isEmpty ? "" : " (\(warningCount))")
        }
        var counts = [Self.count(problems.count, "problem")]
        if strict && !warnings.isEmpty { counts.append("\(warningCount), failing with --strict") }
        return "\(name): this host cannot run it (\(counts.joined(separator: ", ")))"
    }

    /// What to print: the lines, then the verdict.
    public func output(verbose: Bool, strict: Bool) -> [String] {
        lines.filter { verbose || !$0.verboseOnly }.map(\.description) + [verdict(strict: strict)]
    }

    private mutating func info(_ text: String, verboseOnly: Bool = false) {
        lines.append(Line(level: .info, text: text, verboseOnly: verboseOnly))
    }

    private mutating func warn(_ text: String) {
        warnings.append(text)
        lines.append(Line(level: .warning, text: text, verboseOnly: false))
    }

    private mutating func error(_ text: String) {
        lines.append(Line(level: .error, text: text, verboseOnly: false))
    }

    private static func count(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }
}
