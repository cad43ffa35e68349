import Files

/// The `agent.*` parameters of the kernel command line: the agent's own
/// settings, and those meant for guest components (attestation agent, ...),
/// which the agent writes to a file under /run for them to read.
public struct KernelParameters: Sendable, Equatable {
    /// Parameters the agent itself understands (Kata's names, without `agent.`).
    public static let agentOwn: Set<String> = [
        "log", "log_vport", "debug_console", "debug_console_vport", "container_pipe_size", "server_addr",
        "hotplug_timeout", "unified_cgroup_hierarchy", "devmode", "trace", "passfd_listener_port",
        "cdh_api_timeout", "config_file", "policy",
    ]

    public var logLevel: String?
    public var containerPipeSize: Int?
    public var hotplugTimeoutSeconds: Int?
    /// `agent.X=V` for every X the agent does not use itself, in command-line order.
    public var forGuestComponents: [(key: String, value: String)] = []

    public static func == (a: KernelParameters, b: KernelParameters) -> Bool {
        a.logLevel == b.logLevel && a.containerPipeSize == b.containerPipeSize
            && a.hotplugTimeoutSeconds == b.hotplugTimeoutSeconds
            && a.forGuestComponents.map { "\($0.key)=\($0.value)" } == b.forGuestComponents.map { "\($0.key)=\($0.value)" }
    }

    public init() {}

    /// Parses a kernel command line (`/proc/cmdline`). Quoted values
    /// (`agent.x="a b"`) keep their spaces; a later value of a key wins.
    public init(commandLine: String) {
        for token in Self.split(commandLine) where token.hasPrefix("agent.") {
            let pair = token.dropFirst("agent.".count).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            switch key {
            case "log": logLevel = value
            case "container_pipe_size": containerPipeSize = Int(value)
            case "hotplug_timeout": hotplugTimeoutSeconds = Int(value)
            default:
                if !Self.agentOwn.contains(key) {
                    forGuestComponents.removeAll { $0.key == key }
                    forGuestComponents.append((key, value))
                }
            }
        }
    }

    /// Words of a command line, honouring double quotes.
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var inWord = false
        for character in line {
            if character == "\"" { quoted.toggle(); inWord = true; continue }
            if !quoted && (character == " " || character == "\n" || character == "\t") {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(character)
            inWord = true
        }
        if inWord { words.append(current) }
        return words
    }

    /// The file for guest components: `key=value` lines.
    public var guestComponentsFile: String {
        forGuestComponents.map { "\($0.key)=\($0.value)\n" }.joined()
    }

    /// Writes `guestComponentsFile` to `path` (mode 0644), creating its directory.
    public func writeGuestComponentsFile(to path: String) throws {
        guard let slash = path.lastIndex(of: "/") else { return }
        try makeDirectories(String(path[..<slash]))
        try writeFile(path, Array(guestComponentsFile.utf8), mode: 0o644)
    }
}
