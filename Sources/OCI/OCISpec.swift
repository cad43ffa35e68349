/// The OCI runtime spec as `config.json` spells it: what containerd writes in
/// a bundle and what crun reads. Every field is optional, as Go's decoder
/// treats a missing one as its zero value; unknown keys are ignored. Hooks
/// are not kept: they run on the host, never in the guest.
public struct OCISpec: Codable, Sendable, Equatable {
    public var ociVersion: String?
    public var process: OCIProcess?
    public var root: Root?
    public var hostname: String?
    public var mounts: [Mount]?
    public var annotations: [String: String]?
    public var linux: Linux?

    public init(
        ociVersion: String? = nil, process: OCIProcess? = nil, root: Root? = nil, hostname: String? = nil,
        mounts: [Mount]? = nil, annotations: [String: String]? = nil, linux: Linux? = nil
    ) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.mounts = mounts
        self.annotations = annotations
        self.linux = linux
    }

    /// `root`: the container's root file system.
    public struct Root: Codable, Sendable, Equatable {
        public var path: String?
        public var readonly: Bool?

        public init(path: String? = nil, readonly: Bool? = nil) {
            self.path = path
            self.readonly = readonly
        }
    }

    /// One of `mounts`, in the order they are made.
    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String?
        public var type: String?
        public var source: String?
        public var options: [String]?

        public init(destination: String? = nil, type: String? = nil, source: String? = nil, options: [String]? = nil) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    /// Decodes a `config.json`; `source` names it in the error.
    public init(json bytes: [UInt8], source: String = "config.json") throws(OCIError) {
        self = try OCIJSON.decode(OCISpec.self, from: bytes, source: source)
    }

    /// The JSON form, keys sorted, absent fields left out.
    public func json() throws -> [UInt8] {
        try OCIJSON.encode(self)
    }
}
