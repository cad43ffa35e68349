extension OCISpec {
    /// `linux`: namespaces, id mappings, cgroup, devices and the rest of the
    /// Linux-only configuration.
    public struct Linux: Codable, Sendable, Equatable {
        public var uidMappings: [IDMapping]?
        public var gidMappings: [IDMapping]?
        public var sysctl: [String: String]?
        public var resources: OCIResources?
        public var cgroupsPath: String?
        public var namespaces: [Namespace]?
        public var devices: [Device]?
        public var seccomp: Seccomp?
        public var rootfsPropagation: String?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var mountLabel: String?
        public var intelRdt: IntelRdt?

        public init(
            uidMappings: [IDMapping]? = nil, gidMappings: [IDMapping]? = nil, sysctl: [String: String]? = nil,
            resources: OCIResources? = nil, cgroupsPath: String? = nil, namespaces: [Namespace]? = nil,
            devices: [Device]? = nil, seccomp: Seccomp? = nil, rootfsPropagation: String? = nil,
            maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil, mountLabel: String? = nil,
            intelRdt: IntelRdt? = nil
        ) {
            self.uidMappings = uidMappings
            self.gidMappings = gidMappings
            self.sysctl = sysctl
            self.resources = resources
            self.cgroupsPath = cgroupsPath
            self.namespaces = namespaces
            self.devices = devices
            self.seccomp = seccomp
            self.rootfsPropagation = rootfsPropagation
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
            self.mountLabel = mountLabel
            self.intelRdt = intelRdt
        }
    }

    /// A `uidMappings` / `gidMappings` range of a user namespace.
    public struct IDMapping: Codable, Sendable, Equatable {
        public var containerID: UInt32?
        public var hostID: UInt32?
        public var size: UInt32?

        public init(containerID: UInt32? = nil, hostID: UInt32? = nil, size: UInt32? = nil) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }
    }

    /// A namespace to create (no path) or join (path).
    public struct Namespace: Codable, Sendable, Equatable {
        public var type: String?
        public var path: String?

        public init(type: String? = nil, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// A device node to create in the container (`linux.devices`).
    public struct Device: Codable, Sendable, Equatable {
        public var path: String?
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?

        public init(
            path: String? = nil, type: String? = nil, major: Int64? = nil, minor: Int64? = nil,
            fileMode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil
        ) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
        }
    }

    /// `linux.intelRdt`; the agent protocol carries only the L3 cache schema.
    public struct IntelRdt: Codable, Sendable, Equatable {
        public var l3CacheSchema: String?

        public init(l3CacheSchema: String? = nil) {
            self.l3CacheSchema = l3CacheSchema
        }
    }
}
