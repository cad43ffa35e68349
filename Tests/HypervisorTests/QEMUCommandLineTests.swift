import Hypervisor
import KataConfig
import Testing

/// The builder against the compatibility notes' example, its refusals, and
/// the options the shipped files leave at their defaults.
@Suite struct QEMUCommandLineTests {
    typealias Fixture = CommandLineFixture

    // MARK: The reconstructed example (kata-shim-compat.md §3.11)

    /// configuration-qemu.toml, 1 vCPU / 2048 MiB, 16-CPU 64 GiB host, one veth,
    /// as printed in the notes (`…` and `<...>` are runtime-chosen values).
    static let referenceExample = #"""
        qemu-system-x86_64 -name sandbox-<sid> -uuid <uuid> -machine q35,accel=kvm,nvdimm=on -cpu host,pmu=off
         -qmp unix:fd=3,server=on,wait=off -m 2048M,slots=10,maxmem=66560M
         -device pci-bridge,bus=pcie.0,id=pci-bridge-0,chassis_nr=1,shpc=off,addr=2,io-reserve=4k,mem-reserve=1m,pref64-reserve=1m
         -device virtio-serial-pci,disable-modern=false,id=serial0 -device virtconsole,chardev=charconsole0,id=console0
         -chardev socket,id=charconsole0,path=/run/vc/vm/<sid>/console.sock,server=on,wait=off
         -device nvdimm,id=nv0,memdev=mem0,unarmed=on -object memory-backend-file,id=mem0,mem-path=/usr/share/kata-containers/kata-containers.img,size=…,readonly=on
         -device virtio-scsi-pci,id=scsi0,disable-modern=false
         -object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0
         -device vhost-vsock-pci,disable-modern=false,vhostfd=4,id=vsock-<cid>,guest-cid=<cid>,bus=pcie.0
         -chardev socket,id=char-…,path=/run/vc/vm/<sid>/vhost-fs.sock -device vhost-user-fs-pci,chardev=char-…,tag=kataShared,queue-size=1024,bus=pcie.0
         -netdev tap,id=network-0,vhost=on,vhostfds=5,fds=6 -device driver=virtio-net-pci,netdev=network-0,mac=…,bus=pcie.0,disable-modern=false,mq=on,vectors=4
         -rtc base=utc,driftfix=slew,clock=host -global kvm-pit.lost_tick_policy=discard -vga none
         -no-user-config -nodefaults -nographic --no-reboot
         -object memory-backend-file,id=dimm1,size=2048M,mem-path=/dev/shm,share=on -numa node,memdev=dimm1
         -kernel /usr/share/kata-containers/vmlinux.container
         -append "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests net.ifnames=0 pci=lastbus=0 root=/dev/pmem0p1 rootflags=dax,data=ordered,errors=remount-ro ro rootfstype=ext4 console=hvc0 console=hvc1 quiet systemd.show_status=false panic=1 nr_cpus=16 selinux=0 systemd.unit=kata-containers.target systemd.mask=systemd-networkd.service systemd.mask=systemd-networkd.socket scsi_mod.scan=none agent.cdh_api_timeout=50 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
         -pidfile /run/vc/vm/<sid>/pid -smp 1,cores=1,threads=1,sockets=16,maxcpus=16
        """#

    /// Splits a line of the example into arguments (double quotes group, and go).
    static func words(_ line: String) -> [String] {
        var words: [String] = [], current = "", quoted = false, inWord = false
        for character in line {
            if character == "\"" {
                quoted.toggle(); inWord = true
            } else if character == " " && !quoted {
                if inWord { words.append(current) }
                current = ""; inWord = false
            } else {
                current.append(character); inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    @Test func matchesTheReconstructedExampleLineByLine() throws {
        var configuration = try Fixture.configuration("qemu", rootfs: .image, channel: .vsock)
        // The example is of a distribution build (prefix /usr) run from $PATH.
        configuration.hypervisor.path = "qemu-system-x86_64"
        configuration.hypervisor.kernel = "/usr/share/kata-containers/vmlinux.container"
        configuration.hypervisor.image = "/usr/share/kata-containers/kata-containers.img"
        let plan = try Fixture.plan(for: configuration)
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)

        let substitutions = [
            ("<sid>", Fixture.sandboxID), ("<uuid>", Fixture.uuid), ("<cid>", String(Fixture.cid)),
            ("size=…", "size=\(Fixture.imageSize)"), ("char-…", "char-\(Fixture.virtioFSDeviceID)"),
            ("mac=…", "mac=\(Fixture.macAddress)"),
        ]
        var position = 0
        for (number, line) in Self.referenceExample.split(separator: "\n").enumerated() {
            var text = String(line)
            for (placeholder, value) in substitutions { text = text.replacing(placeholder, with: value) }
            let expected = Self.words(text)
            let actual = Array(argv.dropFirst(position).prefix(expected.count))
            #expect(actual == expected, "line \(number + 1) of the example")
            position += expected.count
        }
        #expect(position == argv.count, "nothing after the example's last line: \(argv.dropFirst(position))")
    }

    /// The notes' differences of configuration-qemu-tdx.toml and
    /// configuration-qemu-snp.toml from the example above.
    @Test(arguments: ["qemu-tdx", "qemu-snp"])
    func confidentialFormsMatchTheReference(_ name: String) throws {
        let configuration = try Fixture.configuration(name, rootfs: .image, channel: .vsock)
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: try Fixture.plan(for: configuration))
        func value(_ option: String) -> String? { argv.firstIndex(of: option).map { argv[$0 + 1] } }
        let tdx = name == "qemu-tdx"
        #expect(value("-machine") == "q35,accel=kvm,kernel_irqchip=split,confidential-guest-support=\(tdx ? "tdx" : "snp")")
        #expect(value("-cpu") == (tdx ? "host,pmu=off" : "EPYC-v4,pmu=off"))
        #expect(value("-m") == "2048M")
        #expect(argv.last == "1,cores=1,threads=1" && argv[argv.count - 2] == "-smp")
        #expect(value("-bios") == (tdx ? "/opt/kata/share/ovmf/OVMF.inteltdx.fd" : "/opt/kata/share/ovmf/AMDSEV.fd"))
        #expect(argv.contains(tdx
            ? #"{"qom-type":"tdx-guest","id":"tdx","quote-generation-socket":{"type":"vsock","cid":"2","port":"4050"}}"#
            : "sev-snp-guest,id=snp,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,policy=196608"))
        #expect(!argv.contains { $0.contains("rng") || $0.contains("nvdimm") })
        let append = try #require(value("-append"))
        #expect(append.contains("root=/dev/vda1 rootflags=data=ordered,errors=remount-ro ro"))
        #expect(!append.contains("nr_cpus="))
        #expect(append.hasSuffix("agent.launch_process_timeout=6 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"))
    }

    // MARK: Refusals

    @Test func aConfidentialGuestUnderTCGIsRefused() throws {
        var configuration = try Fixture.load("qemu-tdx")
        configuration.hypervisor.accelerator = .tcg
        let plan = try Fixture.plan(for: configuration)
        let error = try #require(throws: QEMUCommandLineError.self) {
            try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.key == "hypervisor.qemu.accelerator")
        #expect(error.message.contains(#"confidential_guest = true needs KVM: TDX and SEV-SNP cannot run under TCG; set accelerator = "kvm""#))
    }

    @Test func imageAndInitrdTogetherAreRefused() throws {
        var configuration = try Fixture.load("qemu")
        configuration.hypervisor.initrd = "/opt/kata/share/kata-containers/kata-containers-initrd.img"
        let plan = try Fixture.plan(for: try Fixture.load("qemu"))
        let error = try #require(throws: QEMUCommandLineError.self) {
            try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        }
        #expect(error.key == "hypervisor.qemu.image")
        #expect(error.message == "hypervisor.qemu.image and hypervisor.qemu.initrd are both set: cannot set both image and initrd at the same time; keep one")
    }

    @Test func neitherImageNorInitrdIsRefused() throws {
        var configuration = try Fixture.load("qemu")
        let plan = try Fixture.plan(for: configuration)
        configuration.hypervisor.image = nil
        #expect(throws: QEMUCommandLineError.self) { try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan) }
    }

    /// Kata's own sentence, then what to do about it.
    @Test(arguments: ["qemu-tdx", "qemu-snp"])
    func aConfidentialGuestOnAHostWithoutConfidentialComputingFails(_ name: String) throws {
        let configuration = try Fixture.load(name)
        var plan = try Fixture.plan(for: configuration)
        plan.host = SandboxPlan.Host(guestProtection: .none)
        let error = try #require(throws: QEMUCommandLineError.self) {
            try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        }
        #expect(error.code == .hostUnsupported)
        #expect(error.key == "hypervisor.qemu.confidential_guest")
        #expect(error.message.hasPrefix("This system doesn't support Confidential Computing (Guest Protection)"))
    }

    @Test func settingsThisRuntimeDoesNotImplementNameTheirKey() throws {
        let base = try Fixture.load("qemu")
        let plan = try Fixture.plan(for: base)
        let cases: [(String, (inout HypervisorConfiguration) -> Void)] = [
            ("hypervisor.qemu.machine_type", { $0.machineType = "microvm" }),
            ("hypervisor.qemu.firmware_volume", { $0.firmwareVolume = "/usr/share/ovmf/OVMF_VARS.fd" }),
            ("hypervisor.qemu.hot_plug_vfio", { $0.hotPlugVFIO = "root-port" }),
            ("hypervisor.qemu.cold_plug_vfio", { $0.coldPlugVFIO = "switch-port" }),
            ("hypervisor.qemu.reclaim_guest_freed_memory", { $0.reclaimGuestFreedMemory = true }),
            ("hypervisor.qemu.block_device_driver", { $0.blockDeviceDriver = "virtio-mmio" }),
            ("hypervisor.qemu.extra_monitor_socket", { $0.extraMonitorSocket = "telnet" }),
            ("hypervisor.qemu.path", { $0.path = "" }),
            ("hypervisor.qemu.kernel", { $0.kernel = "" }),
        ]
        for (key, change) in cases {
            var hypervisor = base.hypervisor
            change(&hypervisor)
            let error = try #require(throws: QEMUCommandLineError.self) { try QEMUCommandLine.arguments(for: hypervisor, plan: plan) }
            #expect(error.key == key)
            #expect(error.message.hasPrefix(key + ": "), "\(error.message)")
        }
    }

    @Test func confidentialSettingsThatCannotWorkNameTheirKey() throws {
        let snp = try Fixture.load("qemu-snp")
        let plan = try Fixture.plan(for: snp)
        var hypervisor = snp.hypervisor
        hypervisor.snpIDBlock = "AAAA"
        var error = try #require(throws: QEMUCommandLineError.self) { try QEMUCommandLine.arguments(for: hypervisor, plan: plan) }
        #expect(error.message == "hypervisor.qemu.snp_id_block: is set but snp_id_auth is empty: set both or neither")

        hypervisor = snp.hypervisor
        hypervisor.firmware = ""
        error = try #require(throws: QEMUCommandLineError.self) { try QEMUCommandLine.arguments(for: hypervisor, plan: plan) }
        #expect(error.key == "hypervisor.qemu.firmware")

        var noCBit = plan
        noCBit.host.snpCBitPosition = nil
        error = try #require(throws: QEMUCommandLineError.self) { try QEMUCommandLine.arguments(for: snp.hypervisor, plan: noCBit) }
        #expect(error.code == .invalidPlan && error.key == "SandboxPlan.host.snpCBitPosition")
    }

    @Test func aPlanThatDoesNotFitTheConfigurationIsACallerBug() throws {
        let configuration = try Fixture.load("qemu")
        let good = try Fixture.plan(for: configuration)
        let cases: [(String, (inout SandboxPlan) -> Void)] = [
            ("SandboxPlan.agent", { $0.agent = .virtioSerial(socket: "/run/agent.sock") }),
            ("SandboxPlan.agent", { $0.agent = .vsock(cid: 2, descriptor: 4) }),
            ("SandboxPlan.sharedFilesystem", { $0.sharedFilesystem = .none }),
            ("SandboxPlan.descriptors", { $0.networks[0].tapDescriptors = [4] }),
            ("SandboxPlan.descriptors", { $0.qmpDescriptor = 2 }),
            ("SandboxPlan.networks[0]", { $0.networks[0].macAddress = "02:42:0a:58:00" }),
            ("SandboxPlan.networks[0]", { $0.networks[0].tapDescriptors = [] }),
            ("SandboxPlan.imageSize", { $0.imageSize = 0 }),
            ("SandboxPlan.uuid", { $0.uuid = "not-a-uuid" }),
            ("SandboxPlan.maxVCPUs", { $0.maxVCPUs = 0 }),
        ]
        for (key, change) in cases {
            var plan = good
            change(&plan)
            let error = try #require(throws: QEMUCommandLineError.self) { try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan) }
            #expect(error.code == .invalidPlan)
            #expect(error.key == key, "\(error.message)")
        }
    }

    // MARK: Confidential forms

    /// With `tdx_quote_generation_service_socket_port = 0` the guest reaches
    /// the QGS's unix socket when the host has one, else vsock port 4050; a
    /// configured port always means vsock.
    @Test func tdxQuoteGenerationSocket() throws {
        let configuration = try Fixture.load("qemu-tdx")
        var plan = try Fixture.plan(for: configuration)
        plan.host.tdxQuoteGenerationSocketExists = true
        var argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        #expect(argv.contains(#"{"qom-type":"tdx-guest","id":"tdx","quote-generation-socket":{"type":"unix","path":"/var/run/tdx-qgs/qgs.socket"}}"#))

        var hypervisor = configuration.hypervisor
        hypervisor.tdxQuoteGenerationServiceSocketPort = 4051
        argv = try QEMUCommandLine.arguments(for: hypervisor, plan: plan)
        #expect(argv.contains(#"{"qom-type":"tdx-guest","id":"tdx","quote-generation-socket":{"type":"vsock","cid":"2","port":"4051"}}"#))
        #expect(argv.contains("-bios") && argv[argv.firstIndex(of: "-bios")! + 1] == "/opt/kata/share/ovmf/OVMF.inteltdx.fd")
    }

    @Test func snpIDBlockAndAuth() throws {
        var configuration = try Fixture.load("qemu-snp")
        configuration.hypervisor.snpIDBlock = "aWQtYmxvY2s="
        configuration.hypervisor.snpIDAuth = "aWQtYXV0aA=="
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: try Fixture.plan(for: configuration))
        #expect(argv.contains("sev-snp-guest,id=snp,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,id-block=aWQtYmxvY2s=,id-auth=aWQtYXV0aA==,policy=196608"))
        #expect(argv[argv.firstIndex(of: "-cpu")! + 1] == "EPYC-v4,pmu=off")
    }

    /// On an SEV-SNP host without `sev_snp_guest = true` Kata runs plain SEV:
    /// a `sev-guest` object, OVMF on pflash and no `-bios`.
    @Test func snpHostWithoutSevSnpGuestRunsSEV() throws {
        var configuration = try Fixture.load("qemu-snp")
        configuration.hypervisor.sevSnpGuest = false
        var plan = try Fixture.plan(for: configuration)
        plan.host = SandboxPlan.Host(guestProtection: .snp, snpCBitPosition: 51)
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        let object = try #require(argv.firstIndex(of: "sev-guest,id=sev,cbitpos=51,reduced-phys-bits=1"))
        #expect(argv[object + 1 ... object + 2] == ["-drive", "if=pflash,format=raw,readonly=on,file=/opt/kata/share/ovmf/AMDSEV.fd"])
        #expect(!argv.contains("-bios"))
        #expect(argv[argv.firstIndex(of: "-machine")! + 1] == "q35,accel=kvm,kernel_irqchip=split,confidential-guest-support=sev")
        #expect(argv[argv.firstIndex(of: "-cpu")! + 1] == "host,pmu=off")
    }

    // MARK: Options the shipped files leave at their defaults

    @Test func legacySerialConsole() throws {
        var configuration = try Fixture.load("qemu")
        configuration.hypervisor.useLegacySerial = true
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: try Fixture.plan(for: configuration))
        let serial = try #require(argv.firstIndex(of: "-serial"))
        #expect(Array(argv[serial ... serial + 3]) == [
            "-serial", "chardev:charconsole0",
            "-chardev", "socket,id=charconsole0,path=\(Fixture.runDirectory)/console.sock,server=on,wait=off",
        ])
        #expect(!argv.contains("virtconsole,chardev=charconsole0,id=console0"))
    }

    @Test func iommuDebugSandboxAndMemoryKnobs() throws {
        var configuration = try Fixture.load("qemu")
        var h = configuration.hypervisor
        h.enableIOMMU = true
        h.enableDebug = true
        h.extraMonitorSocket = "qmp"
        h.seccompSandbox = "on,obsolete=deny,spawn=deny,resourcecontrol=deny"
        h.enableHugepages = true
        h.memoryOffsetMiB = 512
        h.defaultBridges = 2
        h.guestMemoryDumpPath = "/var/crash/kata"
        h.enableIOThreads = true
        configuration.hypervisor = h
        let argv = try QEMUCommandLine.arguments(for: h, plan: try Fixture.plan(for: configuration))
        func value(_ option: String) -> String? { argv.firstIndex(of: option).map { argv[$0 + 1] } }
        #expect(value("-name") == "sandbox-\(Fixture.sandboxID),debug-threads=on")
        #expect(value("-machine") == "q35,accel=kvm,kernel_irqchip=split,nvdimm=on")
        #expect(argv.contains("intel-iommu,intremap=on,device-iotlb=on,caching-mode=on"))
        #expect(argv.contains("unix:path=\(Fixture.runDirectory)/extra-monitor.sock,server=on,wait=off"))
        #expect(value("-sandbox") == "on,obsolete=deny,spawn=deny,resourcecontrol=deny")
        #expect(argv.last == "1,cores=1,threads=1,sockets=16,maxcpus=16", "-smp stays last, after -sandbox")
        #expect(value("-m") == "2048M,slots=10,maxmem=67072M")
        #expect(argv.contains("memory-backend-file,id=dimm1,size=2048M,mem-path=/dev/hugepages,share=on,prealloc=on"))
        #expect(argv.contains("pci-bridge,bus=pcie.0,id=pci-bridge-1,chassis_nr=2,shpc=off,addr=3,io-reserve=4k,mem-reserve=1m,pref64-reserve=1m"))
        let pvpanic = try #require(argv.firstIndex(of: "pvpanic"))
        #expect(argv[pvpanic + 1] == "-no-shutdown")
        #expect(argv.contains("virtio-scsi-pci,id=scsi0,disable-modern=false,iothread=iothread-scsi0"))
        #expect(argv.contains("iothread,id=iothread-scsi0"))
    }

    @Test func ninePShareAndNestedHost() throws {
        var configuration = try Fixture.load("qemu")
        configuration.hypervisor.sharedFS = .virtio9P
        var plan = try Fixture.plan(for: configuration)
        plan.host.nested = true
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        let device = try #require(argv.firstIndex(of: "virtio-9p-pci,disable-modern=true,fsdev=extra-9p-kataShared,mount_tag=kataShared"))
        #expect(argv[device + 1 ... device + 2] == [
            "-fsdev", "local,id=extra-9p-kataShared,path=/run/kata-containers/shared/sandboxes/\(Fixture.sandboxID)/shared,security_model=none,multidevs=remap",
        ])
        #expect(argv.contains("memory-backend-ram,id=dimm1,size=2048M"))
        #expect(argv.contains("vhost-vsock-pci,disable-modern=true,vhostfd=4,id=vsock-\(Fixture.cid),guest-cid=\(Fixture.cid),bus=pcie.0"))

        configuration.hypervisor.disableNestingChecks = true
        #expect(!(try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)).contains { $0.contains("disable-modern=true") })
    }

    @Test func withoutVhostNetQEMUGetsTheTapsOnly() throws {
        var configuration = try Fixture.load("qemu")
        configuration.hypervisor.disableVhostNet = true
        var plan = try Fixture.plan(for: configuration)
        plan.networks = [SandboxPlan.NetworkTap(tapDescriptors: [5, 6], macAddress: Fixture.macAddress)]
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: plan)
        let netdev = try #require(argv.firstIndex(of: "-netdev"))
        #expect(argv[netdev + 1] == "tap,id=network-0,fds=5:6")
        #expect(argv[netdev + 3] == "driver=virtio-net-pci,netdev=network-0,mac=\(Fixture.macAddress),bus=pcie.0,disable-modern=false,mq=on,vectors=6")
    }

    /// QEMU reads `,,` as a comma inside an option value.
    @Test func commasInPathsAreEscaped() throws {
        var configuration = try Fixture.load("qemu")
        configuration.hypervisor.image = "/images/a,b.img"
        let argv = try QEMUCommandLine.arguments(for: configuration.hypervisor, plan: try Fixture.plan(for: configuration))
        #expect(argv.contains("memory-backend-file,id=mem0,mem-path=/images/a,,b.img,size=\(Fixture.imageSize),readonly=on"))
    }
}
