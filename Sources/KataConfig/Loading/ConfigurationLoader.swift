/// Finds, reads and merges a Kata configuration, the way Kata's shim does.
///
/// The main file is, in order of precedence:
/// 1. `ConfigPath` from containerd's runtime options (`load(configPath:)`);
/// 2. `KATA_CONF_FILE`, accepted only when it resolves to one of the default
///    paths (Kata refuses any other file there);
/// 3. the first existing file of ``searchPath``.
///
/// Then every `*.toml` file of `config.d/` next to the main file (symlinks
/// of the main file resolved first, as Kata resolves them) is applied in
/// lexical order, key by key. Kata reads every entry of `config.d/`; this
/// loader skips hidden files and reports other non-`.toml` entries as
/// warnings, so an editor's backup file cannot break a node.
public struct ConfigurationLoader: Sendable {
    /// Kata's default locations, searched in this order.
    public static let defaultSearchPath = [
        "/etc/kata-containers/configuration.toml",
        "/opt/kata/share/defaults/kata-containers/configuration.toml",
        "/usr/share/defaults/kata-containers/configuration.toml",
    ]

    /// The default locations, injectable for tests.
    public var searchPath: [String]
    /// The process environment (only `KATA_CONF_FILE` is read), injectable for tests.
    public var environment: [String: String]

    public init(searchPath: [String] = ConfigurationLoader.defaultSearchPath, environment: [String: String]) {
        self.searchPath = searchPath
        self.environment = environment
    }

    /// Loads the configuration. `configPath` is `ConfigPath` from the runtime
    /// options, nil or empty when containerd passed none.
    public func load(configPath: String? = nil) throws(ConfigurationError) -> LoadedConfiguration {
        let (path, source) = try choosePath(configPath: configPath)
        return try load(path: path, source: source)
    }

    /// Picks the main file and says how it was chosen.
    public func choosePath(configPath: String?) throws(ConfigurationError) -> (path: String, source: ConfigPathSource) {
        if let configPath, !configPath.isEmpty {
            guard configPath.hasPrefix("/") else {
                throw ConfigurationError(
                    "ConfigPath \(TOMLNode.quoted(configPath)) from the runtime options is not an absolute path: set ConfigPath in containerd's runtime handler options to the file's absolute path")
            }
            return (configPath, .runtimeOptions)
        }
        if let file = environment["KATA_CONF_FILE"], !file.isEmpty {
            let resolved = FileSystem.resolve(file)
            let shipped = searchPath.compactMap { FileSystem.resolve($0) }
            guard let resolved, shipped.contains(resolved) else {
                throw ConfigurationError(
                    "invalid KATA_CONF_FILE \(TOMLNode.quoted(file)): only shipped Kata configuration files are accepted"
                        + " (\(searchPath.joined(separator: ", "))); to use another file, set ConfigPath in containerd's runtime handler options")
            }
            return (file, .environment)
        }
        for candidate in searchPath where FileSystem.isRegularFile(candidate) {
            return (candidate, .defaultSearch)
        }
        throw ConfigurationError(
            "no configuration file found in the default search path (\(searchPath.joined(separator: ", "))): install one there, or set ConfigPath in containerd's runtime handler options")
    }

    /// Loads `path` and its drop-ins.
    public func load(path: String, source: ConfigPathSource) throws(ConfigurationError) -> LoadedConfiguration {
        let mainName = FileSystem.baseName(of: path)
        let text = try Self.read(path) { reason in
            "configuration file \(path) (chosen by \(source)) \(reason)"
                + (source == .runtimeOptions ? ": fix ConfigPath in containerd's runtime handler options" : "")
        }
        var decoder = ConfigurationDecoder()
        try decoder.add(ConfigurationDocument(name: mainName, text: text))

        let resolved = FileSystem.resolve(path) ?? path
        let dropInDirectory = FileSystem.directory(of: resolved) + "/config.d"
        var dropIns: [String] = []
        var skipped: [ConfigurationWarning] = []
        switch FileSystem.list(dropInDirectory) {
        case .failure(.notFound):
            break
        case .failure(.other(let reason)):
            throw ConfigurationError("cannot read the drop-in directory \(dropInDirectory): \(reason)")
        case .success(let names):
            for name in names where !name.hasPrefix(".") {
                let dropIn = dropInDirectory + "/" + name
                guard name.hasSuffix(".toml"), FileSystem.isRegularFile(dropIn) else {
                    skipped.append(ConfigurationWarning(
                        file: "config.d/\(name)", key: "", message: "not a regular .toml file, ignored"))
                    continue
                }
                let text = try Self.read(dropIn) { reason in "drop-in \(dropIn) \(reason)" }
                try decoder.add(ConfigurationDocument(name: "config.d/\(name)", text: text))
                dropIns.append(dropIn)
            }
        }

        let configuration = try decoder.decode(mainFile: mainName)
        try ConfigurationValidator(configuration: configuration, origins: decoder.origins, mainFile: mainName).validate()
        return LoadedConfiguration(
            configuration: configuration, path: resolved, name: mainName, source: source, dropIns: dropIns,
            warnings: skipped + decoder.warnings, origins: decoder.origins)
    }

    /// Reads a UTF-8 file; `describe` turns the failure into a message.
    private static func read(_ path: String, describe: (String) -> String) throws(ConfigurationError) -> String {
        switch FileSystem.read(path) {
        case .failure(.notFound):
            throw ConfigurationError(describe("does not exist"))
        case .failure(.other(let reason)):
            throw ConfigurationError(describe("cannot be read: \(reason)"))
        case .success(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ConfigurationError(describe("is not UTF-8 text"))
            }
            return text
        }
    }
}
