import OCI
import Protocols
import Testing

extension OCISpec {
    var tmpGuestSubset: OCISpec {
        var spec = self
        spec.linux?.seccomp = nil
        spec.linux?.intelRdt = nil
        spec.linux?.resources = linux?.resources?.tmpGuestSubset
        return spec
    }
}
extension OCIResources {
    var tmpGuestSubset: OCIResources {
        OCIResources(
            memory: memory.map {
                Memory(limit: $0.limit, reservation: $0.reservation, swap: $0.swap, disableOOMKiller: $0.disableOOMKiller)
            },
            cpu: cpu.map { CPU(shares: $0.shares, quota: $0.quota, period: $0.period, cpus: $0.cpus, mems: $0.mems) },
            pids: pids)
    }
}

@Suite struct TmpLegacyTests {
    @Test(arguments: [Fixtures.ctrRun, Fixtures.cri])
    func sameAsLegacy(json: String) throws {
        var grpc = try OCISpec(json: Fixtures.bytes(json)).agentSpec
        grpc.process.consoleSize.height = 30; grpc.process.consoleSize.width = 80; grpc.process.terminal = true
        grpc.linux.resources.memory.kernel = 5; grpc.linux.resources.memory.swappiness = 7; grpc.linux.resources.memory.reservation = 9
        grpc.linux.resources.memory.disableOomkiller = true
        grpc.linux.resources.cpu.cpus = "0"; grpc.linux.resources.cpu.realtimePeriod = 3
        grpc.linux.uidmappings = [.with { $0.hostID = 1; $0.size = 2 }]
        grpc.linux.mountLabel = "m"
        let old = try LegacySpec(grpc).json()
        let new = try OCISpec(grpc).tmpGuestSubset.json()
        let a = try OCISpec(json: old), b = try OCISpec(json: new)
        #expect(a == b)
        print(String(decoding: old, as: UTF8.self).count, String(decoding: new, as: UTF8.self).count)
        let p1 = try LegacyProcess(grpc.process).json(), p2 = try OCIProcess(grpc.process).json()
        #expect(try OCIProcess(json: p1) == OCIProcess(json: p2))
        let r1 = try LegacyResources(grpc.linux.resources).json(), r2 = try OCIResources(grpc.linux.resources).tmpGuestSubset.json()
        #expect(try OCIResources(json: r1) == OCIResources(json: r2))
        print(String(decoding: r1, as: UTF8.self)); print(String(decoding: r2, as: UTF8.self))
    }
}
