/// `linux.resources` of config.json, and the JSON of containerd's Update and
/// crun's `update --resources`.
public struct OCIResources: Codable, Sendable, Equatable {
    public var devices: [DeviceRule]?
    public var memory: Memory?
    public var cpu: CPU?
    public var pids: Pids?
    public var blockIO: BlockIO?
    public var hugepageLimits: [HugepageLimit]?
    public var network: Network?

    public init(
        devices: [DeviceRule]? = nil, memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil, blockIO: BlockIO? = nil,
        hugepageLimits: [HugepageLimit]? = nil, network: Network? = nil
    ) {
        self.devices = devices
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
        self.hugepageLimits = hugepageLimits
        self.network = network
    }

    /// A device cgroup rule; no major or minor means any.
    public struct DeviceRule: Codable, Sendable, Equatable {
        public var allow: Bool?
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?

        public init(allow: Bool? = nil, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    /// Memory limits in bytes (-1: unlimited).
    public struct Memory: Codable, Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public var kernel: Int64?
        public var kernelTCP: Int64?
        public var swappiness: UInt64?
        public var disableOOMKiller: Bool?

        public init(
            limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, kernel: Int64? = nil, kernelTCP: Int64? = nil,
            swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil
        ) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
            self.kernel = kernel
            self.kernelTCP = kernelTCP
            self.swappiness = swappiness
            self.disableOOMKiller = disableOOMKiller
        }
    }

    /// CPU shares, CFS quota and period (µs), real-time budget, cpuset.
    public struct CPU: Codable, Sendable, Equatable {
        public var shares: UInt64?
        public var quota: Int64?
        public var period: UInt64?
        public var realtimeRuntime: Int64?
        public var realtimePeriod: UInt64?
        public var cpus: String?
        public var mems: String?

        public init(
            shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, realtimeRuntime: Int64? = nil,
            realtimePeriod: UInt64? = nil, cpus: String? = nil, mems: String? = nil
        ) {
            self.shares = shares
            self.quota = quota
            self.period = period
            self.realtimeRuntime = realtimeRuntime
            self.realtimePeriod = realtimePeriod
            self.cpus = cpus
            self.mems = mems
        }
    }

    /// The most tasks the cgroup may hold (0 or -1: no limit).
    public struct Pids: Codable, Sendable, Equatable {
        public var limit: Int64?

        public init(limit: Int64? = nil) {
            self.limit = limit
        }
    }

    /// Block I/O weight and per-device weights and throttles.
    public struct BlockIO: Codable, Sendable, Equatable {
        public var weight: UInt16?
        public var leafWeight: UInt16?
        public var weightDevice: [WeightDevice]?
        public var throttleReadBpsDevice: [ThrottleDevice]?
        public var throttleWriteBpsDevice: [ThrottleDevice]?
        public var throttleReadIOPSDevice: [ThrottleDevice]?
        public var throttleWriteIOPSDevice: [ThrottleDevice]?

        public init(
            weight: UInt16? = nil, leafWeight: UInt16? = nil, weightDevice: [WeightDevice]? = nil,
            throttleReadBpsDevice: [ThrottleDevice]? = nil, throttleWriteBpsDevice: [ThrottleDevice]? = nil,
            throttleReadIOPSDevice: [ThrottleDevice]? = nil, throttleWriteIOPSDevice: [ThrottleDevice]? = nil
        ) {
            self.weight = weight
            self.leafWeight = leafWeight
            self.weightDevice = weightDevice
            self.throttleReadBpsDevice = throttleReadBpsDevice
            self.throttleWriteBpsDevice = throttleWriteBpsDevice
            self.throttleReadIOPSDevice = throttleReadIOPSDevice
            self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
        }
    }

    /// A block device's weight.
    public struct WeightDevice: Codable, Sendable, Equatable {
        public var major: Int64?
        public var minor: Int64?
        public var weight: UInt16?
        public var leafWeight: UInt16?

        public init(major: Int64? = nil, minor: Int64? = nil, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
            self.major = major
            self.minor = minor
            self.weight = weight
            self.leafWeight = leafWeight
        }
    }

    /// A block device's rate limit (bytes or operations per second).
    public struct ThrottleDevice: Codable, Sendable, Equatable {
        public var major: Int64?
        public var minor: Int64?
        public var rate: UInt64?

        public init(major: Int64? = nil, minor: Int64? = nil, rate: UInt64? = nil) {
            self.major = major
            self.minor = minor
            self.rate = rate
        }
    }

    /// A huge page size ("2MB") and the most bytes of it.
    public struct HugepageLimit: Codable, Sendable, Equatable {
        public var pageSize: String?
        public var limit: UInt64?

        public init(pageSize: String? = nil, limit: UInt64? = nil) {
            self.pageSize = pageSize
            self.limit = limit
        }
    }

    /// The net_cls class and net_prio priorities.
    public struct Network: Codable, Sendable, Equatable {
        public var classID: UInt32?
        public var priorities: [InterfacePriority]?

        public init(classID: UInt32? = nil, priorities: [InterfacePriority]? = nil) {
            self.classID = classID
            self.priorities = priorities
        }
    }

    /// An interface's net_prio priority.
    public struct InterfacePriority: Codable, Sendable, Equatable {
        public var name: String?
        public var priority: UInt32?

        public init(name: String? = nil, priority: UInt32? = nil) {
            self.name = name
            self.priority = priority
        }
    }

    /// Decodes a resources JSON; `source` names it in the error.
    public init(json bytes: [UInt8], source: String = "resources JSON") throws(OCIError) {
        self = try OCIJSON.decode(OCIResources.self, from: bytes, source: source)
    }

    /// The JSON form, keys sorted, absent fields left out.
    public func json() throws -> [UInt8] {
        try OCIJSON.encode(self)
    }
}
