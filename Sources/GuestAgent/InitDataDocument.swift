/// The initdata the host gave the guest (the pod's `cc_init_data`
/// annotation), as the agent reads it from its disk: a TOML document with
/// `version`, `algorithm` and a `[data]` table whose `policy.rego` is the
/// agent policy; the other entries (`aa.toml`, `cdh.toml`) are for guest
/// components.
public struct InitDataDocument: Sendable, Equatable {
    /// The only version Kata's initdata format has.
    public static let supportedVersion = "0.1.0"
    /// The digest algorithms the host may have measured the document with.
    public static let algorithms = ["sha256", "sha384", "sha512"]

    public var version: String
    public var algorithm: String
    /// Every `[data]` entry.
    public var data: [String: String]

    /// `data["policy.rego"]`: the agent policy, if the document has one.
    public var policy: String? { data["policy.rego"] }

    /// Checks the parsed TOML the way Kata's agent does: version 0.1.0 and a
    /// known algorithm (other top-level strings are ignored, as serde ignores
    /// them there); `source` names the disk in errors.
    public init(toml: InitDataTOML, source: String) throws(InitDataReadError) {
        guard let version = toml.fields["version"] else {
            throw InitDataReadError("initdata \(source): the document has no version: the host must write version = \"\(Self.supportedVersion)\"")
        }
        guard version == Self.supportedVersion else {
            throw InitDataReadError("initdata \(source): version \"\(version)\" is not supported: the host must write version = \"\(Self.supportedVersion)\"")
        }
        let choices = Self.algorithms.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let algorithm = toml.fields["algorithm"] else {
            throw InitDataReadError("initdata \(source): the document has no algorithm: the host must write algorithm = one of \(choices)")
        }
        guard Self.algorithms.contains(algorithm) else {
            throw InitDataReadError("initdata \(source): algorithm \"\(algorithm)\" is not one of \(choices)")
        }
        self.version = version
        self.algorithm = algorithm
        self.data = toml.data
    }
}
