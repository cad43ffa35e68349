/// What the image config says about running the container (its `config`
/// object); absent fields are nil or empty.
public struct ImageConfiguration: Sendable, Equatable {
    public var entrypoint: [String]
    public var command: [String]
    /// `NAME=value` entries.
    public var environment: [String]
    public var workingDirectory: String?
    /// `user`, `user:group`, `uid` or `uid:gid`, as written.
    public var user: String?
    /// `linux`, `amd64`, from the top level of the config.
    public var os: String?
    public var architecture: String?

    public init(entrypoint: [String] = [], command: [String] = [], environment: [String] = [],
                workingDirectory: String? = nil, user: String? = nil, os: String? = nil, architecture: String? = nil) {
        self.entrypoint = entrypoint
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.user = user
        self.os = os
        self.architecture = architecture
    }

    /// Reads an image config blob.
    init(json: JSON) throws(ImageDocumentError) {
        guard case .object = json else { throw ImageDocumentError("the config is not a JSON object") }
        let config = json["config"] ?? .null
        func strings(_ key: String) throws(ImageDocumentError) -> [String] {
            guard let value = config[key], value != .null else { return [] }
            guard let items = value.strings else { throw ImageDocumentError("config.\(key) is not an array of strings") }
            return items
        }
        func text(_ value: JSON?) -> String? {
            guard let value = value?.string, !value.isEmpty else { return nil }
            return value
        }
        self.init(
            entrypoint: try strings("Entrypoint"), command: try strings("Cmd"), environment: try strings("Env"),
            workingDirectory: text(config["WorkingDir"]), user: text(config["User"]),
            os: text(json["os"]), architecture: text(json["architecture"]))
    }
}
