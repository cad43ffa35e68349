import Protocols

// Between config.json and the agent protocol's `Grpc_Spec` (PascalCase
// fields in the .proto). Proto3 has no presence for scalars: an absent JSON
// value becomes zero or empty, and zero or empty becomes absent on the way back.
extension OCISpec {
    /// The spec from the agent protocol's form; empty values are left out.
    public init(_ spec: Grpc_Spec) {
        self.init(
            ociVersion: spec.version.isEmpty ? "1.0.2" : spec.version,
            process: spec.hasProcess ? OCIProcess(spec.process) : nil,
            root: spec.hasRoot ? Root(path: spec.root.path, readonly: spec.root.readonly ? true : nil) : nil,
            hostname: spec.hostname.nonEmpty,
            mounts: spec.mounts.map {
                Mount(destination: $0.destination, type: $0.type.nonEmpty, source: $0.source.nonEmpty, options: $0.options.nonEmpty)
            },
            annotations: spec.annotations.isEmpty ? nil : spec.annotations,
            linux: spec.hasLinux ? Linux(spec.linux) : nil)
    }

    /// The agent protocol's form, for CreateContainer. Hooks are not carried.
    public var agentSpec: Grpc_Spec {
        var spec = Grpc_Spec()
        spec.version = ociVersion ?? ""
        if let process { spec.process = process.agentProcess }
        if let root {
            spec.root.path = root.path ?? ""
            spec.root.readonly = root.readonly ?? false
        }
        spec.hostname = hostname ?? ""
        spec.mounts = (mounts ?? []).map { mount in
            Grpc_Mount.with {
                $0.destination = mount.destination ?? ""
                $0.source = mount.source ?? ""
                $0.type = mount.type ?? ""
                $0.options = mount.options ?? []
            }
        }
        spec.annotations = annotations ?? [:]
        if let linux { spec.linux = linux.agentLinux }
        return spec
    }
}

extension OCISpec.Linux {
    /// `linux` from the agent protocol's form.
    public init(_ l: Grpc_Linux) {
        self.init(
            uidMappings: l.uidmappings.nonEmpty?.map(OCISpec.IDMapping.init),
            gidMappings: l.gidmappings.nonEmpty?.map(OCISpec.IDMapping.init),
            sysctl: l.sysctl.isEmpty ? nil : l.sysctl,
            resources: l.hasResources ? OCIResources(l.resources) : nil,
            cgroupsPath: l.cgroupsPath.nonEmpty,
            namespaces: l.namespaces.map { OCISpec.Namespace(type: $0.type, path: $0.path.nonEmpty) },
            devices: l.devices.nonEmpty?.map {
                OCISpec.Device(path: $0.path, type: $0.type, major: $0.major, minor: $0.minor,
                               fileMode: $0.fileMode.nonZero, uid: $0.uid, gid: $0.gid)
            },
            seccomp: l.hasSeccomp ? OCISpec.Seccomp(l.seccomp) : nil,
            rootfsPropagation: l.rootfsPropagation.nonEmpty,
            maskedPaths: l.maskedPaths.nonEmpty,
            readonlyPaths: l.readonlyPaths.nonEmpty,
            mountLabel: l.mountLabel.nonEmpty,
            intelRdt: l.hasIntelRdt && !l.intelRdt.l3CacheSchema.isEmpty ? OCISpec.IntelRdt(l3CacheSchema: l.intelRdt.l3CacheSchema) : nil)
    }

    /// The agent protocol's form of `linux`.
    public var agentLinux: Grpc_Linux {
        var l = Grpc_Linux()
        l.uidmappings = (uidMappings ?? []).map(\.agentMapping)
        l.gidmappings = (gidMappings ?? []).map(\.agentMapping)
        l.sysctl = sysctl ?? [:]
        if let resources { l.resources = resources.agentResources }
        l.cgroupsPath = cgroupsPath ?? ""
        l.namespaces = (namespaces ?? []).map { namespace in
            Grpc_LinuxNamespace.with {
                $0.type = namespace.type ?? ""
                $0.path = namespace.path ?? ""
            }
        }
        l.devices = (devices ?? []).map { device in
            Grpc_LinuxDevice.with {
                $0.path = device.path ?? ""
                $0.type = device.type ?? ""
                $0.major = device.major ?? 0
                $0.minor = device.minor ?? 0
                $0.fileMode = device.fileMode ?? 0
                $0.uid = device.uid ?? 0
                $0.gid = device.gid ?? 0
            }
        }
        if let seccomp { l.seccomp = seccomp.agentSeccomp }
        l.rootfsPropagation = rootfsPropagation ?? ""
        l.maskedPaths = maskedPaths ?? []
        l.readonlyPaths = readonlyPaths ?? []
        l.mountLabel = mountLabel ?? ""
        if let schema = intelRdt?.l3CacheSchema { l.intelRdt.l3CacheSchema = schema }
        return l
    }
}

extension OCISpec.IDMapping {
    init(_ m: Grpc_LinuxIDMapping) {
        self.init(containerID: m.containerID, hostID: m.hostID, size: m.size)
    }

    var agentMapping: Grpc_LinuxIDMapping {
        Grpc_LinuxIDMapping.with {
            $0.containerID = containerID ?? 0
            $0.hostID = hostID ?? 0
            $0.size = size ?? 0
        }
    }
}

extension OCISpec.Seccomp {
    /// `linux.seccomp` from the agent protocol's form.
    public init(_ s: Grpc_LinuxSeccomp) {
        self.init(
            defaultAction: s.defaultAction.nonEmpty,
            architectures: s.architectures.nonEmpty,
            flags: s.flags.nonEmpty,
            syscalls: s.syscalls.nonEmpty?.map { call in
                OCISpec.Syscall(
                    names: call.names, action: call.action.nonEmpty,
                    errnoRet: call.errnoRet.map { switch $0 { case .errnoret(let value): value } },
                    args: call.args.nonEmpty?.map {
                        OCISpec.SeccompArg(index: $0.index, value: $0.value, valueTwo: $0.valueTwo.nonZero, op: $0.op)
                    })
            })
    }

    /// The agent protocol's form of `linux.seccomp`.
    public var agentSeccomp: Grpc_LinuxSeccomp {
        var s = Grpc_LinuxSeccomp()
        s.defaultAction = defaultAction ?? ""
        s.architectures = architectures ?? []
        s.flags = flags ?? []
        s.syscalls = (syscalls ?? []).map { call in
            Grpc_LinuxSyscall.with {
                $0.names = call.names ?? []
                $0.action = call.action ?? ""
                if let errno = call.errnoRet { $0.errnoret = errno }
                $0.args = (call.args ?? []).map { arg in
                    Grpc_LinuxSeccompArg.with {
                        $0.index = arg.index ?? 0
                        $0.value = arg.value ?? 0
                        $0.valueTwo = arg.valueTwo ?? 0
                        $0.op = arg.op ?? ""
                    }
                }
            }
        }
        return s
    }
}
