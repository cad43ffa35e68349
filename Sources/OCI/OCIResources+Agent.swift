import Protocols

extension OCIResources {
    /// The resources from the agent protocol's form; zero values are left
    /// out, a device rule's major or minor of -1 means any.
    public init(_ r: Grpc_LinuxResources) {
        self.init(
            devices: r.devices.nonEmpty?.map {
                DeviceRule(allow: $0.allow, type: $0.type.nonEmpty, major: $0.major == -1 ? nil : $0.major,
                           minor: $0.minor == -1 ? nil : $0.minor, access: $0.access.nonEmpty)
            },
            memory: r.hasMemory ? Memory(r.memory) : nil,
            cpu: r.hasCpu ? CPU(r.cpu) : nil,
            pids: r.hasPids && r.pids.limit != 0 ? Pids(limit: r.pids.limit) : nil,
            blockIO: r.hasBlockIo ? BlockIO(r.blockIo) : nil,
            hugepageLimits: r.hugepageLimits.nonEmpty?.map { HugepageLimit(pageSize: $0.pagesize, limit: $0.limit) },
            network: r.hasNetwork
                ? Network(classID: r.network.classID.nonZero,
                          priorities: r.network.priorities.nonEmpty?.map { InterfacePriority(name: $0.name, priority: $0.priority) })
                : nil)
    }

    /// The agent protocol's form, for CreateContainer and UpdateContainer.
    /// A device rule without major or minor gets -1 (any), as Kata's agent reads it.
    public var agentResources: Grpc_LinuxResources {
        var r = Grpc_LinuxResources()
        r.devices = (devices ?? []).map { rule in
            Grpc_LinuxDeviceCgroup.with {
                $0.allow = rule.allow ?? false
                $0.type = rule.type ?? ""
                $0.major = rule.major ?? -1
                $0.minor = rule.minor ?? -1
                $0.access = rule.access ?? ""
            }
        }
        if let memory { r.memory = memory.agentMemory }
        if let cpu { r.cpu = cpu.agentCPU }
        if let pids { r.pids.limit = pids.limit ?? 0 }
        if let blockIO { r.blockIo = blockIO.agentBlockIO }
        r.hugepageLimits = (hugepageLimits ?? []).map { limit in
            Grpc_LinuxHugepageLimit.with {
                $0.pagesize = limit.pageSize ?? ""
                $0.limit = limit.limit ?? 0
            }
        }
        if let network {
            r.network.classID = network.classID ?? 0
            r.network.priorities = (network.priorities ?? []).map { priority in
                Grpc_LinuxInterfacePriority.with {
                    $0.name = priority.name ?? ""
                    $0.priority = priority.priority ?? 0
                }
            }
        }
        return r
    }
}

extension OCIResources.Memory {
    init(_ m: Grpc_LinuxMemory) {
        self.init(limit: m.limit.nonZero, reservation: m.reservation.nonZero, swap: m.swap.nonZero, kernel: m.kernel.nonZero,
                  kernelTCP: m.kernelTcp.nonZero, swappiness: m.swappiness.nonZero, disableOOMKiller: m.disableOomkiller ? true : nil)
    }

    var agentMemory: Grpc_LinuxMemory {
        Grpc_LinuxMemory.with {
            $0.limit = limit ?? 0
            $0.reservation = reservation ?? 0
            $0.swap = swap ?? 0
            $0.kernel = kernel ?? 0
            $0.kernelTcp = kernelTCP ?? 0
            $0.swappiness = swappiness ?? 0
            $0.disableOomkiller = disableOOMKiller ?? false
        }
    }
}

extension OCIResources.CPU {
    init(_ c: Grpc_LinuxCPU) {
        self.init(shares: c.shares.nonZero, quota: c.quota.nonZero, period: c.period.nonZero,
                  realtimeRuntime: c.realtimeRuntime.nonZero, realtimePeriod: c.realtimePeriod.nonZero,
                  cpus: c.cpus.nonEmpty, mems: c.mems.nonEmpty)
    }

    var agentCPU: Grpc_LinuxCPU {
        Grpc_LinuxCPU.with {
            $0.shares = shares ?? 0
            $0.quota = quota ?? 0
            $0.period = period ?? 0
            $0.realtimeRuntime = realtimeRuntime ?? 0
            $0.realtimePeriod = realtimePeriod ?? 0
            $0.cpus = cpus ?? ""
            $0.mems = mems ?? ""
        }
    }
}

extension OCIResources.BlockIO {
    init(_ b: Grpc_LinuxBlockIO) {
        func weights(_ devices: [Grpc_LinuxWeightDevice]) -> [OCIResources.WeightDevice]? {
            devices.nonEmpty?.map {
                OCIResources.WeightDevice(major: $0.major, minor: $0.minor, weight: UInt16(clamping: $0.weight).nonZero,
                                          leafWeight: UInt16(clamping: $0.leafWeight).nonZero)
            }
        }
        func throttles(_ devices: [Grpc_LinuxThrottleDevice]) -> [OCIResources.ThrottleDevice]? {
            devices.nonEmpty?.map { OCIResources.ThrottleDevice(major: $0.major, minor: $0.minor, rate: $0.rate) }
        }
        self.init(weight: UInt16(clamping: b.weight).nonZero, leafWeight: UInt16(clamping: b.leafWeight).nonZero,
                  weightDevice: weights(b.weightDevice),
                  throttleReadBpsDevice: throttles(b.throttleReadBpsDevice), throttleWriteBpsDevice: throttles(b.throttleWriteBpsDevice),
                  throttleReadIOPSDevice: throttles(b.throttleReadIopsdevice), throttleWriteIOPSDevice: throttles(b.throttleWriteIopsdevice))
    }

    var agentBlockIO: Grpc_LinuxBlockIO {
        func throttles(_ devices: [OCIResources.ThrottleDevice]?) -> [Grpc_LinuxThrottleDevice] {
            (devices ?? []).map { device in
                Grpc_LinuxThrottleDevice.with {
                    $0.major = device.major ?? 0
                    $0.minor = device.minor ?? 0
                    $0.rate = device.rate ?? 0
                }
            }
        }
        return Grpc_LinuxBlockIO.with {
            $0.weight = UInt32(weight ?? 0)
            $0.leafWeight = UInt32(leafWeight ?? 0)
            $0.weightDevice = (weightDevice ?? []).map { device in
                Grpc_LinuxWeightDevice.with {
                    $0.major = device.major ?? 0
                    $0.minor = device.minor ?? 0
                    $0.weight = UInt32(device.weight ?? 0)
                    $0.leafWeight = UInt32(device.leafWeight ?? 0)
                }
            }
            $0.throttleReadBpsDevice = throttles(throttleReadBpsDevice)
            $0.throttleWriteBpsDevice = throttles(throttleWriteBpsDevice)
            $0.throttleReadIopsdevice = throttles(throttleReadIOPSDevice)
            $0.throttleWriteIopsdevice = throttles(throttleWriteIOPSDevice)
        }
    }
}
