/// An OCI process: `process` of config.json, the JSON that containerd's Exec
/// carries, and crun's `exec --process` file.
public struct OCIProcess: Codable, Sendable, Equatable {
    public var terminal: Bool?
    public var consoleSize: ConsoleSize?
    public var user: User?
    public var args: [String]?
    public var env: [String]?
    public var cwd: String?
    public var capabilities: Capabilities?
    public var rlimits: [Rlimit]?
    public var noNewPrivileges: Bool?
    public var apparmorProfile: String?
    public var oomScoreAdj: Int64?
    public var selinuxLabel: String?

    public init(
        terminal: Bool? = nil, consoleSize: ConsoleSize? = nil, user: User? = nil, args: [String]? = nil,
        env: [String]? = nil, cwd: String? = nil, capabilities: Capabilities? = nil, rlimits: [Rlimit]? = nil,
        noNewPrivileges: Bool? = nil, apparmorProfile: String? = nil, oomScoreAdj: Int64? = nil, selinuxLabel: String? = nil
    ) {
        self.terminal = terminal
        self.consoleSize = consoleSize
        self.user = user
        self.args = args
        self.env = env
        self.cwd = cwd
        self.capabilities = capabilities
        self.rlimits = rlimits
        self.noNewPrivileges = noNewPrivileges
        self.apparmorProfile = apparmorProfile
        self.oomScoreAdj = oomScoreAdj
        self.selinuxLabel = selinuxLabel
    }

    /// The terminal's size in characters.
    public struct ConsoleSize: Codable, Sendable, Equatable {
        public var height: UInt32?
        public var width: UInt32?

        public init(height: UInt32? = nil, width: UInt32? = nil) {
            self.height = height
            self.width = width
        }
    }

    /// Who the process runs as. `umask` has no place in the agent protocol.
    public struct User: Codable, Sendable, Equatable {
        public var uid: UInt32?
        public var gid: UInt32?
        public var umask: UInt32?
        public var additionalGids: [UInt32]?
        public var username: String?

        public init(
            uid: UInt32? = nil, gid: UInt32? = nil, umask: UInt32? = nil, additionalGids: [UInt32]? = nil, username: String? = nil
        ) {
            self.uid = uid
            self.gid = gid
            self.umask = umask
            self.additionalGids = additionalGids
            self.username = username
        }
    }

    /// The capability sets, by name (`CAP_CHOWN`).
    public struct Capabilities: Codable, Sendable, Equatable {
        public var bounding: [String]?
        public var effective: [String]?
        public var inheritable: [String]?
        public var permitted: [String]?
        public var ambient: [String]?

        public init(
            bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
            permitted: [String]? = nil, ambient: [String]? = nil
        ) {
            self.bounding = bounding
            self.effective = effective
            self.inheritable = inheritable
            self.permitted = permitted
            self.ambient = ambient
        }
    }

    /// A resource limit (`RLIMIT_NOFILE`).
    public struct Rlimit: Codable, Sendable, Equatable {
        public var type: String?
        public var hard: UInt64?
        public var soft: UInt64?

        public init(type: String? = nil, hard: UInt64? = nil, soft: UInt64? = nil) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }

    /// Decodes a process JSON; `source` names it in the error.
    public init(json bytes: [UInt8], source: String = "process JSON") throws(OCIError) {
        self = try OCIJSON.decode(OCIProcess.self, from: bytes, source: source)
    }

    /// The JSON form, keys sorted, absent fields left out.
    public func json() throws -> [UInt8] {
        try OCIJSON.encode(self)
    }
}
