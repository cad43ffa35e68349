/// Merges a main file and its drop-ins key by key, then decodes the result
/// into a ``KataConfiguration``: a drop-in's `[hypervisor.qemu] kernel_params`
/// replaces just that key. Values are checked against the schema; every
/// error names the file that set the key.
struct ConfigurationDecoder {
    private(set) var warnings: [ConfigurationWarning] = []
    /// The file that set each `section.key`, the last one winning.
    private(set) var origins: [String: String] = [:]
    /// Per section, the latest value of each key.
    private var values: [String: [String: TOMLNode]] = [:]
    private var hasHypervisorSection = false

    /// Adds a file's keys, overriding those of earlier files.
    mutating func add(_ document: ConfigurationDocument) throws(ConfigurationError) {
        let file = document.name
        for (key, value) in document.entries {
            switch key {
            case "hypervisor":
                for (name, node) in try table(value, at: "hypervisor", in: file, expected: "a table such as [hypervisor.qemu]") {
                    guard name == "qemu" else {
                        throw ConfigurationError(
                            "\(file): [hypervisor.\(name)]: this runtime drives QEMU only; use one of the configuration-qemu*.toml files")
                    }
                    hasHypervisorSection = true
                    try addSection("hypervisor.qemu", node, from: file)
                }
            case "agent":
                for (name, node) in try table(value, at: "agent", in: file, expected: "a table such as [agent.kata]") {
                    if name == "kata" {
                        try addSection("agent.kata", node, from: file)
                    } else {
                        warn(file, "agent.\(name)", "unknown section, ignored (the agent's section is [agent.kata])")
                    }
                }
            case "runtime", "factory", "image":
                try addSection(key, value, from: file)
            default:
                if case .table = value {
                    warn(file, key, "unknown section, ignored")
                } else {
                    warn(file, key, "unknown key outside any section, ignored")
                }
            }
        }
    }

    private mutating func addSection(_ section: String, _ node: TOMLNode, from file: String) throws(ConfigurationError) {
        for (key, value) in try table(node, at: section, in: file, expected: "a table") {
            guard ConfigurationSchema.key(key, in: section) != nil else {
                var message = "unknown key, ignored"
                if let near = Self.nearest(key, in: ConfigurationSchema.knownKeys[section]?.map(\.name) ?? []) {
                    message += " (did you mean \(near)?)"
                }
                warn(file, "\(section).\(key)", message)
                continue
            }
            values[section, default: [:]][key] = value
            origins["\(section).\(key)"] = file
        }
    }

    private func table(_ node: TOMLNode, at path: String, in file: String, expected: String)
        throws(ConfigurationError) -> [(key: String, value: TOMLNode)]
    {
        guard case .table(let entries) = node else {
            throw ConfigurationError("\(file): \(path): found \(node.found), expected \(expected)")
        }
        return entries
    }

    private mutating func warn(_ file: String, _ key: String, _ message: String) {
        warnings.append(ConfigurationWarning(file: file, key: key, message: message))
    }

    /// The merged configuration, with Kata's defaults for absent keys.
    mutating func decode(mainFile: String) throws(ConfigurationError) -> KataConfiguration {
        guard hasHypervisorSection else {
            throw ConfigurationError(
                "\(mainFile): no [hypervisor.qemu] section: this runtime needs a QEMU configuration such as configuration-qemu-coco-dev.toml")
        }
        var configuration = KataConfiguration()
        try apply(ConfigurationSchema.hypervisorFields, section: "hypervisor.qemu", to: &configuration.hypervisor)
        try apply(ConfigurationSchema.agentFields, section: "agent.kata", to: &configuration.agent)
        try apply(ConfigurationSchema.runtimeFields, section: "runtime", to: &configuration.runtime)
        try apply(ConfigurationSchema.factoryFields, section: "factory", to: &configuration.factory)
        var nothing: Void = ()
        try apply(ConfigurationSchema.imageFields, section: "image", to: &nothing)
        return configuration
    }

    private mutating func apply<Root>(_ fields: [ConfigurationField<Root>], section: String, to root: inout Root)
        throws(ConfigurationError)
    {
        guard let assigned = values[section] else { return }
        for field in fields {
            guard let node = assigned[field.key.name] else { continue }
            let keyPath = "\(section).\(field.key.name)"
            let file = origins[keyPath] ?? "?"
            do {
                if let note = try field.decode(node, &root) {
                    warn(file, keyPath, note)
                }
            } catch {
                throw ConfigurationError("\(file): \(keyPath): found \(error.found ?? node.found), expected \(error.expected)")
            }
        }
    }

    /// The known key closest to a misspelt one (at most 2 edits away).
    static func nearest(_ key: String, in names: [String]) -> String? {
        var best: (name: String, distance: Int)?
        for name in names {
            let d = distance(Array(key.utf8), Array(name.utf8))
            if d <= 2, d < (best?.distance ?? .max) { best = (name, d) }
        }
        return best?.name
    }

    /// Levenshtein distance.
    private static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
