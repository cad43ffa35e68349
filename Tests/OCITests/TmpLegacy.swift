#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Protocols

/// The OCI runtime spec as crun reads it (config.json), translated from the
/// agent protocol's protobuf form (PascalCase fields, `Grpc_Spec`). Only what
/// a container in this guest can use is carried; empty values are left out.
struct LegacySpec: Codable {
    var ociVersion: String
    var process: LegacyProcess?
    var root: Root?
    var hostname: String?
    var mounts: [Mount]?
    var annotations: [String: String]?
    var linux: Linux?

    struct Root: Codable { var path: String; var readonly: Bool? }
    struct Mount: Codable { var destination: String; var type: String?; var source: String?; var options: [String]? }
    struct Linux: Codable {
        var uidMappings: [IDMapping]?
        var gidMappings: [IDMapping]?
        var sysctl: [String: String]?
        var resources: LegacyResources?
        var cgroupsPath: String?
        var namespaces: [Namespace]?
        var devices: [Device]?
        var rootfsPropagation: String?
        var maskedPaths: [String]?
        var readonlyPaths: [String]?
        var mountLabel: String?
    }
    struct IDMapping: Codable { var containerID: UInt32; var hostID: UInt32; var size: UInt32 }
    struct Namespace: Codable { var type: String; var path: String? }
    struct Device: Codable {
        var path: String; var type: String; var major: Int64; var minor: Int64
        var fileMode: UInt32?; var uid: UInt32?; var gid: UInt32?
    }

    init(_ spec: Grpc_Spec) {
        ociVersion = spec.version.isEmpty ? "1.0.2" : spec.version
        process = spec.hasProcess ? LegacyProcess(spec.process) : nil
        root = spec.hasRoot ? Root(path: spec.root.path, readonly: spec.root.readonly ? true : nil) : nil
        hostname = spec.hostname.isEmpty ? nil : spec.hostname
        mounts = spec.mounts.map {
            Mount(destination: $0.destination, type: $0.type.legacyNonEmpty, source: $0.source.legacyNonEmpty, options: $0.options.isEmpty ? nil : $0.options)
        }
        annotations = spec.annotations.isEmpty ? nil : spec.annotations
        if spec.hasLinux {
            let l = spec.linux
            linux = Linux(
                uidMappings: l.uidmappings.isEmpty ? nil : l.uidmappings.map { IDMapping(containerID: $0.containerID, hostID: $0.hostID, size: $0.size) },
                gidMappings: l.gidmappings.isEmpty ? nil : l.gidmappings.map { IDMapping(containerID: $0.containerID, hostID: $0.hostID, size: $0.size) },
                sysctl: l.sysctl.isEmpty ? nil : l.sysctl,
                resources: l.hasResources ? LegacyResources(l.resources) : nil,
                cgroupsPath: l.cgroupsPath.legacyNonEmpty,
                namespaces: l.namespaces.map { Namespace(type: $0.type, path: $0.path.legacyNonEmpty) },
                devices: l.devices.isEmpty ? nil : l.devices.map {
                    Device(path: $0.path, type: $0.type, major: $0.major, minor: $0.minor,
                           fileMode: $0.fileMode == 0 ? nil : $0.fileMode, uid: $0.uid, gid: $0.gid)
                },
                rootfsPropagation: l.rootfsPropagation.legacyNonEmpty,
                maskedPaths: l.maskedPaths.isEmpty ? nil : l.maskedPaths,
                readonlyPaths: l.readonlyPaths.isEmpty ? nil : l.readonlyPaths,
                mountLabel: l.mountLabel.legacyNonEmpty)
        }
    }

    func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }
}

/// An OCI process (config.json `process`, and `crun exec --process`).
struct LegacyProcess: Codable {
    var terminal: Bool?
    var consoleSize: ConsoleSize?
    var user: User
    var args: [String]
    var env: [String]?
    var cwd: String
    var capabilities: Capabilities?
    var rlimits: [Rlimit]?
    var noNewPrivileges: Bool?
    var apparmorProfile: String?
    var oomScoreAdj: Int64?
    var selinuxLabel: String?

    struct ConsoleSize: Codable { var height: UInt32; var width: UInt32 }
    struct User: Codable { var uid: UInt32; var gid: UInt32; var additionalGids: [UInt32]?; var username: String? }
    struct Capabilities: Codable {
        var bounding: [String]?; var effective: [String]?; var inheritable: [String]?; var permitted: [String]?; var ambient: [String]?
    }
    struct Rlimit: Codable { var type: String; var hard: UInt64; var soft: UInt64 }

    init(_ p: Grpc_Process) {
        terminal = p.terminal ? true : nil
        consoleSize = p.hasConsoleSize && p.consoleSize.height > 0 ? ConsoleSize(height: p.consoleSize.height, width: p.consoleSize.width) : nil
        user = User(uid: p.user.uid, gid: p.user.gid, additionalGids: p.user.additionalGids.isEmpty ? nil : p.user.additionalGids,
                    username: p.user.username.legacyNonEmpty)
        args = p.args
        env = p.env.isEmpty ? nil : p.env
        cwd = p.cwd.isEmpty ? "/" : p.cwd
        if p.hasCapabilities {
            let c = p.capabilities
            capabilities = Capabilities(bounding: c.bounding, effective: c.effective, inheritable: c.inheritable,
                                        permitted: c.permitted, ambient: c.ambient)
        }
        rlimits = p.rlimits.isEmpty ? nil : p.rlimits.map { Rlimit(type: $0.type, hard: $0.hard, soft: $0.soft) }
        noNewPrivileges = p.noNewPrivileges ? true : nil
        apparmorProfile = p.apparmorProfile.legacyNonEmpty
        oomScoreAdj = p.oomscoreAdj == 0 ? nil : p.oomscoreAdj
        selinuxLabel = p.selinuxLabel.legacyNonEmpty
    }

    func json() throws -> [UInt8] {
        Array(try JSONEncoder().encode(self))
    }
}

/// `linux.resources` (config.json, and `crun update --resources`).
struct LegacyResources: Codable {
    var memory: Memory?
    var cpu: CPU?
    var pids: Pids?

    struct Memory: Codable { var limit: Int64?; var reservation: Int64?; var swap: Int64?; var swappiness: UInt64?; var disableOOMKiller: Bool? }
    struct CPU: Codable { var shares: UInt64?; var quota: Int64?; var period: UInt64?; var cpus: String?; var mems: String? }
    struct Pids: Codable { var limit: Int64 }

    init(_ r: Grpc_LinuxResources) {
        if r.hasMemory {
            let m = r.memory
            memory = Memory(limit: m.limit == 0 ? nil : m.limit, reservation: m.reservation == 0 ? nil : m.reservation,
                            swap: m.swap == 0 ? nil : m.swap, swappiness: nil, disableOOMKiller: m.disableOomkiller ? true : nil)
        }
        if r.hasCpu {
            let c = r.cpu
            cpu = CPU(shares: c.shares == 0 ? nil : c.shares, quota: c.quota == 0 ? nil : c.quota, period: c.period == 0 ? nil : c.period,
                      cpus: c.cpus.legacyNonEmpty, mems: c.mems.legacyNonEmpty)
        }
        if r.hasPids, r.pids.limit != 0 { pids = Pids(limit: r.pids.limit) }
    }

    func json() throws -> [UInt8] {
        Array(try JSONEncoder().encode(self))
    }
}

extension String {
    /// nil for the empty string: keeps empty protobuf fields out of the JSON.
    var legacyNonEmpty: String? { isEmpty ? nil : self }
}
