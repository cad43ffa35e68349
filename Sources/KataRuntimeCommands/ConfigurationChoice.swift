import Glibc
import KataConfig

/// Which configuration a command reads: a file given with `--config`, or the
/// one the shim would load (Kata's search order, honouring `KATA_CONF_FILE`).
public struct ConfigurationChoice: Sendable, Equatable {
    /// The `--config` file made absolute; nil for the shim's choice.
    public var path: String?

    public init(path: String?) {
        self.path = path.map(Self.absolute)
    }

    /// How messages name it before it is loaded.
    public var displayName: String {
        guard let path else { return "the default configuration" }
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Loads it as the shim does (drop-ins, validation).
    public func load(environment: [String: String]) throws(ConfigurationError) -> LoadedConfiguration {
        let loader = ConfigurationLoader(environment: environment)
        guard let path else { return try loader.load() }
        // The loader's own messages for a missing file point at containerd's
        // ConfigPath; from the command line the fix is the option.
        guard access(path, F_OK) == 0 else {
            throw ConfigurationError("configuration file \(path) (--config) does not exist: pass the path of a Kata configuration file")
        }
        guard access(path, R_OK) == 0 else {
            throw ConfigurationError("configuration file \(path) (--config) cannot be read: \(String(cString: strerror(errno)))")
        }
        return try loader.load(path: path, source: .runtimeOptions)
    }

    /// How the file was chosen, for output: the option rather than containerd's ConfigPath.
    public func sourceDescription(_ loaded: LoadedConfiguration) -> String {
        path == nil ? loaded.source.description : "--config"
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let cwd = getcwd(nil, 0) else { return path }
        let directory = String(cString: cwd)
        free(cwd)
        return (directory == "/" ? "" : directory) + "/" + path
    }
}

/// The process environment as a dictionary (no Foundation in this target's callees).
enum ProcessEnvironment {
    static func current() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }
}
