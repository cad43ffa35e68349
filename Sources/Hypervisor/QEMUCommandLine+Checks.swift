import KataConfig

extension QEMUCommandLine.Layout {
    private static func key(_ name: String) -> String { "hypervisor.qemu." + name }

    private static func fail(_ code: QEMUCommandLineError.Code, _ name: String, _ message: String) -> QEMUCommandLineError {
        QEMUCommandLineError(code, key: key(name), "\(key(name)): \(message)")
    }

    /// What the configuration alone cannot express on a QEMU command line.
    /// The loader checks most of this already; configurations built in code
    /// come here unchecked.
    static func checkConfiguration(_ c: HypervisorConfiguration) throws(QEMUCommandLineError) {
        if c.path.isEmpty { throw fail(.invalidConfiguration, "path", "is empty: set it to the QEMU binary") }
        if c.kernel.isEmpty { throw fail(.invalidConfiguration, "kernel", "is empty: set it to the guest kernel") }
        if c.machineType != "q35" {
            throw fail(.unsupported, "machine_type", "\"\(c.machineType)\" is not supported: this runtime builds q35 machines only")
        }
        switch (c.image, c.initrd) {
        case (.some, .some):
            throw QEMUCommandLineError(
                .invalidConfiguration, key: key("image"),
                "\(key("image")) and \(key("initrd")) are both set: cannot set both image and initrd at the same time; keep one")
        case (.none, .none):
            throw QEMUCommandLineError(
                .invalidConfiguration, key: key("image"),
                "neither \(key("image")) nor \(key("initrd")) is set: set image to the guest root filesystem image, or initrd to an initramfs")
        default:
            break
        }
        if !c.firmwareVolume.isEmpty {
            throw fail(.unsupported, "firmware_volume", "a split firmware (code and variables) is not supported: use a single image in firmware and set firmware_volume = \"\"")
        }
        if c.confidentialGuest && c.firmware.isEmpty {
            throw fail(.invalidConfiguration, "firmware", "is empty, but confidential_guest = true boots TDVF/OVMF: set firmware (OVMF.inteltdx.fd for TDX, AMDSEV.fd for SEV-SNP)")
        }
        if c.snpIDBlock.isEmpty != c.snpIDAuth.isEmpty {
            let (set, unset) = c.snpIDBlock.isEmpty ? ("snp_id_auth", "snp_id_block") : ("snp_id_block", "snp_id_auth")
            throw fail(.invalidConfiguration, set, "is set but \(unset) is empty: set both or neither")
        }
        for (name, value) in [("hot_plug_vfio", c.hotPlugVFIO), ("cold_plug_vfio", c.coldPlugVFIO)] {
            switch value {
            case "no-port", "bridge-port":
                break
            case "root-port", "switch-port":
                throw fail(.unsupported, name, "\"\(value)\" is not supported: this runtime does not pass VFIO devices through; set \(name) = \"no-port\"")
            default:
                throw fail(.invalidConfiguration, name, "\"\(value)\" is not one of no-port, bridge-port, root-port, switch-port")
            }
        }
        if c.reclaimGuestFreedMemory && !c.confidentialGuest {
            throw fail(.unsupported, "reclaim_guest_freed_memory", "the virtio-balloon device is not supported: set reclaim_guest_freed_memory = false")
        }
        switch c.blockDeviceDriver {
        case "virtio-scsi", "virtio-blk", "nvdimm":
            break
        case "virtio-mmio", "virtio-blk-ccw":
            throw fail(.unsupported, "block_device_driver", "\"\(c.blockDeviceDriver)\" does not exist on q35: use virtio-scsi or virtio-blk")
        default:
            throw fail(.invalidConfiguration, "block_device_driver", "\"\(c.blockDeviceDriver)\" is not one of virtio-scsi, virtio-blk, nvdimm")
        }
        if !["", "hmp", "qmp", "qmp-pretty"].contains(c.extraMonitorSocket) {
            throw fail(.invalidConfiguration, "extra_monitor_socket", "\"\(c.extraMonitorSocket)\" is not one of hmp, qmp, qmp-pretty (or empty for none)")
        }
        if c.seccompSandbox.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            throw fail(.invalidConfiguration, "seccompsandbox", "\"\(c.seccompSandbox)\" contains blanks: it is the option string of QEMU's -sandbox, such as \"on,obsolete=deny,spawn=deny,resourcecontrol=deny\"")
        }
    }

    /// The plan must be complete for this configuration; a failure here is the caller's bug.
    func checkPlan() throws(QEMUCommandLineError) {
        func fail(_ field: String, _ message: String) -> QEMUCommandLineError {
            QEMUCommandLineError(.invalidPlan, key: "SandboxPlan." + field, "sandbox plan: \(field): \(message)")
        }
        let c = configuration
        if plan.sandboxID.isEmpty { throw fail("sandboxID", "is empty") }
        if !Self.isUUID(plan.uuid) { throw fail("uuid", "\"\(plan.uuid)\" is not a UUID (8-4-4-4-12 hex digits)") }
        if !plan.runDirectory.hasPrefix("/") { throw fail("runDirectory", "\"\(plan.runDirectory)\" is not an absolute path") }
        if plan.vcpus == 0 { throw fail("vcpus", "is 0") }
        if !confidential && plan.maxVCPUs < plan.vcpus {
            throw fail("maxVCPUs", "\(plan.maxVCPUs) is below vcpus \(plan.vcpus)")
        }
        if plan.memoryMiB == 0 { throw fail("memoryMiB", "is 0") }
        if !confidential && maxMemoryArgumentMiB < UInt64(plan.memoryMiB) {
            throw fail("maxMemoryMiB", "maxmem \(maxMemoryArgumentMiB) MiB would be below the boot memory \(plan.memoryMiB) MiB")
        }

        var descriptors: [Int32] = [plan.qmpDescriptor]
        switch plan.agent {
        case .vsock(let cid, let descriptor):
            if c.agentChannel != .vsock {
                throw fail("agent", "is vsock but \(Self.key("agent_channel")) = \"\(c.agentChannel.rawValue)\"")
            }
            if !VhostVsock.validCIDs.contains(cid) { throw fail("agent", "guest CID \(cid) is outside \(VhostVsock.validCIDs)") }
            descriptors.append(descriptor)
        case .virtioSerial(let socket):
            if c.agentChannel != .virtioSerial {
                throw fail("agent", "is virtio-serial but \(Self.key("agent_channel")) = \"\(c.agentChannel.rawValue)\"")
            }
            if !socket.hasPrefix("/") { throw fail("agent", "socket \"\(socket)\" is not an absolute path") }
        }

        switch (c.sharedFS, plan.sharedFilesystem) {
        case (.none, .none):
            break
        case (.virtioFS, .virtioFS(let socket, let deviceID)):
            if !socket.hasPrefix("/") { throw fail("sharedFilesystem", "socket \"\(socket)\" is not an absolute path") }
            if !Self.isHex16(deviceID) { throw fail("sharedFilesystem", "device id \"\(deviceID)\" is not 16 lowercase hex digits") }
        case (.virtio9P, .virtio9P(let hostPath)):
            if !hostPath.hasPrefix("/") { throw fail("sharedFilesystem", "host path \"\(hostPath)\" is not an absolute path") }
        default:
            throw fail("sharedFilesystem", "\(Self.kind(plan.sharedFilesystem)) does not match \(Self.key("shared_fs")) = \"\(c.sharedFS.rawValue)\"")
        }

        for (index, network) in plan.networks.enumerated() {
            if network.tapDescriptors.isEmpty { throw fail("networks[\(index)]", "has no tap descriptor") }
            if c.disableVhostNet && !network.vhostDescriptors.isEmpty {
                throw fail("networks[\(index)]", "has vhost-net descriptors but \(Self.key("disable_vhost_net")) = true")
            }
            if !Self.isMAC(network.macAddress) { throw fail("networks[\(index)]", "\"\(network.macAddress)\" is not a MAC address") }
            descriptors += network.vhostDescriptors + network.tapDescriptors
        }
        if let low = descriptors.first(where: { $0 < 3 }) {
            throw fail("descriptors", "\(low) is one of QEMU's standard streams; inherited descriptors start at 3")
        }
        if Set(descriptors).count != descriptors.count {
            throw fail("descriptors", "\(descriptors.map(String.init).joined(separator: ", ")) are not distinct")
        }

        switch rootfs {
        case .nvdimm where plan.imageSize == 0:
            throw fail("imageSize", "is 0, but the image goes on an nvdimm whose size is the file's")
        case .virtioBlk where !Self.isHex16(plan.imageDriveID):
            throw fail("imageDriveID", "\"\(plan.imageDriveID)\" is not 16 lowercase hex digits")
        default:
            break
        }

        if let initData = plan.initData {
            if !initData.imagePath.hasPrefix("/") { throw fail("initData", "image \"\(initData.imagePath)\" is not an absolute path") }
            if protection == .tdx && Self.base64Length(initData.tdxMRConfigID) != 48 {
                throw fail("initData", "tdxMRConfigID is not the base64 of 48 bytes")
            }
            if protection == .snp && Self.base64Length(initData.snpHostData) != 32 {
                throw fail("initData", "snpHostData is not the base64 of 32 bytes")
            }
        }
        if protection == .snp || protection == .sev {
            guard let cbit = plan.host.snpCBitPosition, (1...63).contains(cbit) else {
                throw fail("host.snpCBitPosition", "is missing or not a bit position; read it from CPUID 0x8000001F EBX[5:0]")
            }
        }
    }

    static func kind(_ device: SandboxPlan.SharedFilesystemDevice) -> String {
        switch device {
        case .none: "none"
        case .virtioFS: "virtio-fs"
        case .virtio9P: "virtio-9p"
        }
    }

    static func isHex16(_ text: String) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    static func isMAC(_ text: String) -> Bool {
        let octets = text.split(separator: ":", omittingEmptySubsequences: false)
        return octets.count == 6 && octets.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }

    /// The number of bytes a padded standard base64 text decodes to, or nil when it is not one.
    static func base64Length(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { return nil }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return nil }
        let isAlphabet: (UInt8) -> Bool = { b in
            (65...90).contains(b) || (97...122).contains(b) || (48...57).contains(b) || b == 43 || b == 47
        }
        guard bytes.dropLast(padding).allSatisfy(isAlphabet) else { return nil }
        return bytes.count / 4 * 3 - padding
    }
}
