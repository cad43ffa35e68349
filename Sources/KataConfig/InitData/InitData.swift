import Gzip
import Digests
/// The `io.katacontainers.config.hypervisor.cc_init_data` annotation:
/// base64 of a gzip-compressed TOML document
///
/// ```toml
/// version = "0.1.0"
/// algorithm = "sha384"
/// [data]
/// "policy.rego" = '''...'''
/// "aa.toml" = '''...'''
/// ```
///
/// The digest (with `algorithm`, over the decompressed TOML bytes) is bound
/// into the TEE's launch measurement (``tdxMRConfigID``, ``snpHostData``);
/// the compressed bytes go to the guest on a small disk (``diskImage()``),
/// where the agent reads the policy itself.
public struct InitData: Sendable, Equatable {
    /// The digest algorithms initdata may name.
    public enum Algorithm: String, Sendable, Equatable, CaseIterable {
        case sha256, sha384, sha512

        /// The digest of `bytes`.
        public func digest(_ bytes: [UInt8]) -> [UInt8] {
            switch self {
            case .sha256: return SHA2.sha256(bytes)
            case .sha384: return SHA2.sha384(bytes)
            case .sha512: return SHA2.sha512(bytes)
            }
        }
    }

    /// Decompressed documents above this size are refused (an annotation is
    /// at most a few hundred KiB; this stops a gzip bomb).
    public static let maximumSize = 16 * 1024 * 1024

    /// The decompressed TOML document.
    public var toml: String
    /// `version` (empty when the document has none)
    public var version: String
    public var algorithm: Algorithm
    /// `algorithm` over the bytes of `toml`.
    public var digest: [UInt8]
    /// `data["policy.rego"]`: the agent policy, if the document has one.
    public var policy: String?
    /// Every `[data]` entry.
    public var data: [String: String]
    /// The gzip stream as the annotation carried it.
    public var compressed: [UInt8]

    /// Decodes the annotation's value. Errors say which step failed:
    /// base64, gzip, TOML, or a missing or wrong field.
    public init(annotation value: String) throws(InitDataError) {
        let compressed: [UInt8]
        do {
            compressed = try Base64.decode(value)
        } catch {
            switch error {
            case .invalidCharacter(let offset):
                throw InitDataError("is not standard base64 (a character outside A-Z, a-z, 0-9, +, / at offset \(offset)): encode the gzip file with `base64 -w0`")
            case .badPadding:
                throw InitDataError("is not standard base64 (wrong length or padding): encode the gzip file with `base64 -w0`")
            }
        }
        let bytes: [UInt8]
        do {
            bytes = try Gzip.decompress(compressed, limit: Self.maximumSize)
        } catch {
            switch error {
            case .tooLarge(let limit):
                throw InitDataError("decompresses to more than \(limit / (1024 * 1024)) MiB")
            case .truncated:
                throw InitDataError("is not a complete gzip stream (it ends early): compress the TOML document with `gzip -c`")
            case .corrupt(let reason):
                throw InitDataError("is not gzip data (\(reason)): compress the TOML document with `gzip -c`")
            }
        }
        try self.init(tomlBytes: bytes, compressed: compressed)
    }

    /// Parses the decompressed document.
    init(tomlBytes bytes: [UInt8], compressed: [UInt8]) throws(InitDataError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InitDataError("holds a document that is not UTF-8 text")
        }
        let entries: [(key: String, value: TOMLNode)]
        do {
            entries = try TOMLNode.parse(text)
        } catch {
            throw InitDataError("holds invalid TOML: line \(error.line), column \(error.column): \(error.reason)")
        }
        func field(_ name: String) -> TOMLNode? { entries.first { $0.key == name }?.value }

        var version = ""
        switch field("version") {
        case nil: break
        case .string(let text)?: version = text
        case let other?: throw InitDataError("has version as \(other.found): write version = \"0.1.0\"")
        }
        let choices = Algorithm.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard case .string(let name)? = field("algorithm") else {
            throw InitDataError("has no algorithm (found \(field("algorithm")?.found ?? "nothing")): set algorithm to one of \(choices)")
        }
        guard let algorithm = Algorithm(rawValue: name) else {
            throw InitDataError("names algorithm \(TOMLNode.quoted(name)): use one of \(choices)")
        }
        var data: [String: String] = [:]
        switch field("data") {
        case nil:
            break
        case .table(let items)?:
            for (key, value) in items {
                guard case .string(let text) = value else {
                    throw InitDataError("has data.\(TOMLNode.quoted(key)) as \(value.found): every [data] entry must be a string")
                }
                data[key] = text
            }
        case let other?:
            throw InitDataError("has data as \(other.found): [data] must be a table of strings")
        }
        self.toml = text
        self.version = version
        self.algorithm = algorithm
        self.digest = algorithm.digest(bytes)
        self.policy = data["policy.rego"]
        self.data = data
        self.compressed = compressed
    }
}
