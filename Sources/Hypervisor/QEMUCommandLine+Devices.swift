import KataConfig

extension QEMUCommandLine.Layout {
    /// Kata's mount tag for the sandbox share.
    static let shareMountTag = "kataShared"

    /// The cold-plugged devices, in the order Kata appends them.
    func devices() -> [String] {
        var argv: [String] = []
        argv += bridges()
        argv += console()
        argv += rootfsImage()
        if configuration.enableIOMMU {
            argv += ["-device", "intel-iommu,intremap=on,device-iotlb=on,caching-mode=on"]
        }
        // Kata's pvpanic makes a panicking guest stop instead of exiting, so that its memory can be dumped.
        if !configuration.guestMemoryDumpPath.isEmpty { argv += ["-device", "pvpanic", "-no-shutdown"] }
        if configuration.blockDeviceDriver == "virtio-scsi" {
            argv += ["-device", "virtio-scsi-pci,id=scsi0,\(disableModernOption)" + (ioThreadID.map { ",iothread=\($0)" } ?? "")]
        }
        argv += initDataDisk()
        argv += protectionObject()
        // A confidential guest takes no entropy from the host it does not trust.
        if !confidential { argv += rng() }
        argv += agentChannel()
        argv += sharedFilesystem()
        for (index, network) in plan.networks.enumerated() { argv += self.network(index, network) }
        return argv
    }

    /// `default_bridges` PCI bridges on pcie.0 for hot-plug, from slot 2
    /// (0 and 1 belong to the platform). The reserve hints make firmware that
    /// sees no SHPC still leave windows for devices added later.
    func bridges() -> [String] {
        let count = min(max(configuration.defaultBridges, 1), 5)
        return (0..<count).flatMap { index -> [String] in
            let slot = String(2 + index, radix: 16)
            return ["-device", "pci-bridge,bus=pcie.0,id=pci-bridge-\(index),chassis_nr=\(index + 1),shpc=off,addr=\(slot),io-reserve=4k,mem-reserve=1m,pref64-reserve=1m"]
        }
    }

    /// virtio consoles (`hvc0`, `hvc1`) on `serial0`, or a legacy serial port
    /// (`ttyS0`), on a socket in the run directory.
    func console() -> [String] {
        let chardev = "socket,id=charconsole0,path=\(Self.escaped(plan.consoleSocketPath)),server=on,wait=off"
        if configuration.useLegacySerial {
            return ["-serial", "chardev:charconsole0", "-chardev", chardev]
        }
        return [
            "-device", "virtio-serial-pci,\(disableModernOption),id=serial0",
            "-device", "virtconsole,chardev=charconsole0,id=console0",
            "-chardev", chardev,
        ]
    }

    /// The image: a read-only, unarmed nvdimm mapped from the file (DAX), or
    /// a read-only virtio-blk disk. An initrd is `-initrd`, not a device.
    func rootfsImage() -> [String] {
        guard let image = configuration.image else { return [] }
        switch rootfs {
        case .initrd:
            return []
        case .nvdimm:
            return [
                "-device", "nvdimm,id=nv0,memdev=mem0,unarmed=on",
                "-object", "memory-backend-file,id=mem0,mem-path=\(Self.escaped(image)),size=\(plan.imageSize),readonly=on",
            ]
        case .virtioBlk:
            let id = "image-" + plan.imageDriveID
            return [
                "-device", "virtio-blk-pci,\(disableModernOption),drive=\(id),config-wce=off,share-rw=on,serial=\(id)",
                "-drive", "id=\(id),file=\(Self.escaped(image)),aio=threads,format=raw,if=none,readonly=on",
            ]
        }
    }

    /// The initdata disk; the agent finds it by its serial.
    func initDataDisk() -> [String] {
        guard let initData = plan.initData else { return [] }
        return [
            "-device", "virtio-blk-pci,\(disableModernOption),drive=initdata,config-wce=off,serial=initdata",
            "-drive", "id=initdata,file=\(Self.escaped(initData.imagePath)),aio=threads,format=raw,if=none",
        ]
    }

    func rng() -> [String] {
        let source = configuration.entropySource.isEmpty ? "" : ",filename=\(Self.escaped(configuration.entropySource))"
        return ["-object", "rng-random,id=rng0" + source, "-device", "virtio-rng-pci,rng=rng0"]
    }

    func agentChannel() -> [String] {
        switch plan.agent {
        case .vsock(let cid, let descriptor):
            return ["-device", "vhost-vsock-pci,\(disableModernOption),vhostfd=\(descriptor),id=vsock-\(cid),guest-cid=\(cid),bus=pcie.0"]
        case .virtioSerial(let socket):
            return [
                "-device", "virtio-serial-pci,\(disableModernOption),id=agent-serial",
                "-device", "virtserialport,bus=agent-serial.0,chardev=charch0,id=channel0,name=agent.channel.0",
                "-chardev", "socket,id=charch0,path=\(Self.escaped(socket)),server=on,wait=off",
            ]
        }
    }

    func sharedFilesystem() -> [String] {
        switch plan.sharedFilesystem {
        case .none:
            return []
        case .virtioFS(let socket, let deviceID):
            let chardev = "char-" + deviceID
            let queueSize = configuration.virtioFSQueueSize == 0 ? 1024 : configuration.virtioFSQueueSize
            var device = "vhost-user-fs-pci,chardev=\(chardev),tag=\(Self.shareMountTag),queue-size=\(queueSize)"
            if configuration.virtioFSCacheSize > 0 { device += ",cache-size=\(configuration.virtioFSCacheSize)M" }
            device += ",bus=pcie.0"
            return ["-chardev", "socket,id=\(chardev),path=\(Self.escaped(socket))", "-device", device]
        case .virtio9P(let hostPath):
            let id = "extra-9p-" + Self.shareMountTag
            return [
                "-device", "virtio-9p-pci,\(disableModernOption),fsdev=\(id),mount_tag=\(Self.shareMountTag)",
                "-fsdev", "local,id=\(id),path=\(Self.escaped(hostPath)),security_model=none,multidevs=remap",
            ]
        }
    }

    /// One tap endpoint, multi-queue: 2 vectors per queue pair plus config and control.
    func network(_ index: Int, _ network: SandboxPlan.NetworkTap) -> [String] {
        let id = "network-\(index)"
        var netdev = "tap,id=\(id)"
        if !configuration.disableVhostNet {
            netdev += ",vhost=on"
            if !network.vhostDescriptors.isEmpty {
                netdev += ",vhostfds=" + network.vhostDescriptors.map(String.init).joined(separator: ":")
            }
        }
        netdev += ",fds=" + network.tapDescriptors.map(String.init).joined(separator: ":")
        let vectors = 2 * network.tapDescriptors.count + 2
        return [
            "-netdev", netdev,
            "-device", "driver=virtio-net-pci,netdev=\(id),mac=\(network.macAddress),bus=pcie.0,\(disableModernOption),mq=on,vectors=\(vectors)",
        ]
    }
}
