import Hypervisor
import KataConfig
import Testing

/// The whole argv for each shipped configuration, compared with the files in
/// Golden/ (see Golden/README.md; `UPDATE_GOLDEN=1` rewrites them).
@Suite struct QEMUCommandLineGoldenTests {
    typealias Fixture = CommandLineFixture

    struct Case: Sendable, CustomTestStringConvertible {
        var configuration: String
        var rootfs: Fixture.Rootfs
        var channel: Fixture.Channel
        var name: String { "\(configuration)-\(rootfs.rawValue)-\(channel.rawValue)" }
        var testDescription: String { name }
    }

    static let matrix: [Case] = Fixture.configurations.flatMap { configuration in
        Fixture.Rootfs.allCases.flatMap { rootfs in
            Fixture.Channel.allCases.map { Case(configuration: configuration, rootfs: rootfs, channel: $0) }
        }
    }

    /// 4 configurations × image / initrd × vsock / virtio-serial.
    @Test(arguments: matrix)
    func shippedConfiguration(_ test: Case) throws {
        let configuration = try Fixture.configuration(test.configuration, rootfs: test.rootfs, channel: test.channel)
        let plan = try Fixture.plan(for: configuration)
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        try GoldenFile(test.name).check(argv)

        // What the matrix is about, stated once more where a golden could hide it.
        let machine = try #require(argv.firstIndex(of: "-machine").map { argv[$0 + 1] })
        let confidential = configuration.hypervisor.confidentialGuest
        switch (test.rootfs, confidential) {
        case (.image, false):
            #expect(machine.hasSuffix(",nvdimm=on") && argv.contains("nvdimm,id=nv0,memdev=mem0,unarmed=on"))
        case (.image, true):
            #expect(!machine.contains("nvdimm") && argv.contains { $0.hasPrefix("virtio-blk-pci,") && $0.contains("drive=image-") })
        case (.initrd, _):
            #expect(!machine.contains("nvdimm") && argv.contains("-initrd"))
        }
        #expect(argv.contains { $0.hasPrefix("vhost-vsock-pci,") } == (test.channel == .vsock))
        #expect(argv.contains { $0.contains("name=agent.channel.0") } == (test.channel == .virtioSerial))
    }

    /// TDX with initdata: the digest (sha384) is `mrconfigid` in the
    /// tdx-guest object, and the disk is attached before the object.
    @Test func tdxWithInitData() throws {
        let configuration = try Fixture.configuration("qemu-tdx", rootfs: .image, channel: .vsock)
        let plan = try Fixture.plan(for: configuration, initData: Fixture.initDataSHA384)
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        try GoldenFile("qemu-tdx-initdata").check(argv)
        #expect(argv.contains(
            #"{"qom-type":"tdx-guest","id":"tdx","mrconfigid":"CVa0whHHzMUw/E5VC/21TUKV3p3tbgmqi6IPJYnMDHN5cBsbMalEG2bvUFc/JCj3","quote-generation-socket":{"type":"vsock","cid":"2","port":"4050"}}"#))
        let disk = try #require(argv.firstIndex(of: "id=initdata,file=\(Fixture.initDataPath),aio=threads,format=raw,if=none"))
        let object = try #require(argv.firstIndex { $0.hasPrefix(#"{"qom-type":"tdx-guest""#) })
        #expect(disk < object)
    }

    /// SEV-SNP with initdata: the digest (sha256) is `host-data`.
    @Test func snpWithHostData() throws {
        let configuration = try Fixture.configuration("qemu-snp", rootfs: .image, channel: .vsock)
        let plan = try Fixture.plan(for: configuration, initData: Fixture.initDataSHA256)
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        try GoldenFile("qemu-snp-initdata").check(argv)
        #expect(argv.contains(
            "sev-snp-guest,id=snp,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,policy=196608,host-data=1mKXOw8UguzqS5WCVc1Cm4wt7V3VMPc5z7WsCjvu4/w="))
    }

    /// The development form: the coco-dev file with hack/dev-config.sh's
    /// drop-in (TCG, virtio-serial, qboot, 512 MiB, this tree's guest).
    @Test(arguments: Fixture.Rootfs.allCases)
    func developmentTCG(_ rootfs: Fixture.Rootfs) throws {
        let configuration = try Self.development(rootfs)
        let plan = try Fixture.plan(for: configuration)
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        try GoldenFile("dev-tcg-\(rootfs.rawValue)-virtio-serial").check(argv)
        #expect(argv[argv.firstIndex(of: "-cpu")! + 1] == "max")
        #expect(argv[argv.firstIndex(of: "-machine")! + 1].hasPrefix("q35,accel=tcg"))
    }

    /// The values hack/dev-config.sh writes, with fixed paths instead of this checkout's.
    static func development(_ rootfs: Fixture.Rootfs) throws -> KataConfiguration {
        var configuration = try Fixture.load("qemu-coco-dev")
        var h = configuration.hypervisor
        h.accelerator = .tcg
        h.agentChannel = .virtioSerial
        h.path = "/usr/bin/qemu-system-x86_64"
        h.firmware = "/usr/share/qemu/qboot.rom"
        h.kernel = "/srv/kata-shim/build/guest/vmlinux"
        switch rootfs {
        case .image:
            h.image = "/srv/kata-shim/build/guest/kata-containers.img"
        case .initrd:
            h.image = nil
            h.initrd = "/srv/kata-shim/build/guest/kata-containers-initrd.img"
        }
        h.cpuFeatures = ""
        h.machineAccelerators = ""
        h.defaultMemoryMiB = 512
        h.defaultVCPUs = 1
        configuration.hypervisor = h
        return configuration
    }
}
