extension SandboxAnnotations {
    /// Annotations Kata knows that this runtime cannot honour: refused rather
    /// than ignored, since the pod asked for something specific.
    static let unsupportedHypervisorSettings: [String: String] = [
        "jailer_path": "there is no jailer with QEMU",
        "kernel_hash": "asset hashes are not verified by this runtime",
        "image_hash": "asset hashes are not verified by this runtime",
        "initrd_hash": "asset hashes are not verified by this runtime",
        "hypervisor_hash": "asset hashes are not verified by this runtime",
        "jailer_hash": "asset hashes are not verified by this runtime",
        "firmware_hash": "asset hashes are not verified by this runtime",
        "firmware_volume_hash": "asset hashes are not verified by this runtime",
        "rootless": "QEMU always runs as root here",
        "enable_guest_swap": "guest swap is not implemented",
        "rx_rate_limiter_max_rate": "network rate limiting is not implemented",
        "tx_rate_limiter_max_rate": "network rate limiting is not implemented",
        "enable_vhost_user_store": "vhost-user storage is not implemented",
        "vhost_user_store_path": "vhost-user storage is not implemented",
        "vhost_user_reconnect_timeout_sec": "vhost-user storage is not implemented",
        "default_gpus": "this is for Kata's remote hypervisor",
        "default_gpu_model": "this is for Kata's remote hypervisor",
    ]

    /// Applies one `io.katacontainers.config.hypervisor.<name>` annotation;
    /// false when `name` is not a setting this runtime knows.
    static func applyHypervisor(
        _ name: String, _ value: AnnotationValue, to sandbox: inout SandboxConfiguration, _ context: Context
    ) throws(AnnotationError) -> Bool {
        if let reason = unsupportedHypervisorSettings[name] {
            throw value.failure("is not supported by this runtime (\(reason)); remove the annotation")
        }
        let file = context.configurationFile
        var h = sandbox.configuration.hypervisor
        defer { sandbox.configuration.hypervisor = h }
        switch name {
        // Assets
        case "kernel": h.kernel = try value.absolutePath()
        case "image": h.image = try value.absolutePath()
        case "initrd": h.initrd = try value.absolutePath()
        case "firmware": h.firmware = try value.absolutePath()
        case "firmware_volume": h.firmwareVolume = try value.absolutePath()
        case "path":
            h.path = try value.allowedPath(h.validHypervisorPaths, listKey: "valid_hypervisor_paths", file: file)

        // Kernel command line
        case "kernel_params":
            sandbox.annotationKernelParams = KernelParameter.parse(value.text)
        case "kernel_verity_params":
            if !value.text.isEmpty {
                do {
                    _ = try KernelVerityParameters(value.text)
                } catch {
                    throw value.failure(error.message)
                }
            }
            h.kernelVerityParams = value.text

        // Machine and CPUs
        case "machine_type": if !value.text.isEmpty { h.machineType = value.text }
        case "machine_accelerators": if !value.text.isEmpty { h.machineAccelerators = commaList(value.text) }
        case "cpu_features": if !value.text.isEmpty { h.cpuFeatures = commaList(value.text) }
        case "default_vcpus":
            let vcpus = try value.number("vCPUs")
            guard vcpus <= Double(context.host.cpuCount) else {
                throw value.failure("\(vcpus.compact) vCPUs is more than the \(context.host.cpuCount) CPUs of this host: ask for at most \(context.host.cpuCount)")
            }
            h.defaultVCPUs = vcpus == 0 ? 1 : vcpus
        case "default_max_vcpus":
            let maximum = try value.unsigned("vCPUs", max: UInt64(UInt32.max))
            guard maximum <= UInt64(context.host.cpuCount) else {
                throw value.failure("\(maximum) vCPUs is more than the \(context.host.cpuCount) CPUs of this host: ask for at most \(context.host.cpuCount)")
            }
            guard maximum <= UInt64(ConfigurationSchema.maximumVCPUs) else {
                throw value.failure("\(maximum) vCPUs is more than the \(ConfigurationSchema.maximumVCPUs) QEMU supports")
            }
            h.defaultMaxVCPUs = UInt32(maximum)

        // Memory
        case "default_memory":
            let memory = try value.unsigned("MiB", max: UInt64(UInt32.max))
            guard memory >= UInt64(ConfigurationSchema.minimumMemoryMiB) else {
                throw value.failure("\(memory) MiB is below the minimum of \(ConfigurationSchema.minimumMemoryMiB) MiB: ask for at least \(ConfigurationSchema.minimumMemoryMiB)")
            }
            h.defaultMemoryMiB = UInt32(memory)
        case "memory_slots":
            let slots = try value.unsigned("slots", max: UInt64(UInt32.max))
            if slots > 0 { h.memorySlots = UInt32(slots) }
        case "memory_offset":
            let offset = try value.unsigned("MiB")
            if offset > 0 { h.memoryOffsetMiB = offset }
        case "file_mem_backend":
            h.fileMemBackend = try value.allowedPath(h.validFileMemBackends, listKey: "valid_file_mem_backends", file: file)
        case "enable_virtio_mem": h.enableVirtioMem = try value.bool()
        case "enable_mem_prealloc": h.enableMemPrealloc = try value.bool()
        case "enable_hugepages": h.enableHugepages = try value.bool()
        case "reclaim_guest_freed_memory": h.reclaimGuestFreedMemory = try value.bool()

        // Devices
        case "disable_image_nvdimm": h.disableImageNvdimm = try value.bool()
        case "enable_iommu": h.enableIOMMU = try value.bool()
        case "enable_iommu_platform": h.enableIOMMUPlatform = try value.bool()
        case "disable_vhost_net": h.disableVhostNet = try value.bool()
        case "use_legacy_serial": h.useLegacySerial = try value.bool()
        case "disable_block_device_use": h.disableBlockDeviceUse = try value.bool()
        case "enable_iothreads": h.enableIOThreads = try value.bool()
        case "block_device_cache_set": h.blockDeviceCacheSet = try value.bool()
        case "block_device_cache_direct": h.blockDeviceCacheDirect = try value.bool()
        case "block_device_cache_noflush": h.blockDeviceCacheNoflush = try value.bool()
        case "block_device_driver":
            h.blockDeviceDriver = try value.choice(["virtio-scsi", "virtio-blk", "virtio-mmio", "nvdimm", "virtio-blk-ccw"])
        case "block_device_aio": h.blockDeviceAIO = try value.choice(["io_uring", "native", "threads"])
        case "entropy_source":
            h.entropySource = try value.allowedPath(h.validEntropySources, listKey: "valid_entropy_sources", file: file)
        case "guest_hook_path": if !value.text.isEmpty { h.guestHookPath = try value.absolutePath() }
        case "hot_plug_vfio":
            h.hotPlugVFIO = value.text.isEmpty ? "no-port" : try value.choice(ConfigurationSchema.pciePorts)
            h.coldPlugVFIO = "no-port"
        case "cold_plug_vfio":
            h.coldPlugVFIO = value.text.isEmpty ? "no-port" : try value.choice(ConfigurationSchema.pciePorts)
            h.hotPlugVFIO = "no-port"
        case "pcie_root_port":
            let ports = try value.unsigned("ports", max: 16)
            if ports > 0 { h.pcieRootPort = UInt32(ports) }
        case "pcie_switch_port":
            let ports = try value.unsigned("ports", max: 16)
            if ports > 0 { h.pcieSwitchPort = UInt32(ports) }

        // Shared filesystem (Kata's annotation offers virtio-fs and virtio-9p only)
        case "shared_fs":
            h.sharedFS = SharedFilesystem(rawValue: try value.choice(["virtio-fs", "virtio-9p"]))!
        case "virtio_fs_daemon":
            h.virtioFSDaemon = try value.allowedPath(h.validVirtioFSDaemonPaths, listKey: "valid_virtio_fs_daemon_paths", file: file)
        case "virtio_fs_cache": h.virtioFSCache = value.text
        case "virtio_fs_cache_size": h.virtioFSCacheSize = UInt32(try value.unsigned("MiB", max: UInt64(UInt32.max)))
        case "virtio_fs_extra_args":
            do {
                h.virtioFSExtraArgs += try JSONStringArray.parse(value.text)
            } catch {
                throw value.failure("is not a JSON array of strings (\(error.reason)), such as [\"-o\", \"xattr\"]")
            }
        case "msize_9p":
            let msize = try value.unsigned("bytes", max: UInt64(UInt32.max))
            guard msize > 0 else { throw value.failure("0 is not a valid 9p msize: use a positive number of bytes") }
            h.msize9p = UInt32(msize)

        // Confidential computing
        case "cc_init_data":
            if !value.text.isEmpty {
                do {
                    sandbox.initData = try InitData(annotation: value.text)
                } catch {
                    throw value.failure(error.message)
                }
            }
        default:
            return false
        }
        return true
    }

    /// Rules between annotations, and between annotations and the file.
    static func checkCombination(_ sandbox: inout SandboxConfiguration, _ context: Context) throws(AnnotationError) {
        let imageKey = hypervisorPrefix + "image"
        let initrdKey = hypervisorPrefix + "initrd"
        let h = sandbox.configuration.hypervisor
        if h.image != nil && h.initrd != nil {
            let byImage = context.annotations[imageKey] != nil
            let byInitrd = context.annotations[initrdKey] != nil
            if byImage && byInitrd {
                throw AnnotationError(
                    annotation: imageKey,
                    message: "annotations \(imageKey) and \(initrdKey) are both set: a sandbox boots either an image or an initrd; remove one")
            }
            let (annotation, other, otherValue) = byImage
                ? (imageKey, "initrd", h.initrd!) : (initrdKey, "image", h.image!)
            throw AnnotationError(
                annotation: annotation,
                message: "annotation \(annotation) conflicts with \(other) = \(TOMLNode.quoted(otherValue)) in [hypervisor.qemu] of \(context.configurationFile): a sandbox boots either an image or an initrd; remove the annotation, or use a runtime class whose configuration boots the same kind")
        }
        if h.sharedFS == .virtioFS && h.virtioFSDaemon.isEmpty {
            let key = hypervisorPrefix + "shared_fs"
            throw AnnotationError(
                annotation: key,
                message: "annotation \(key): \"virtio-fs\" needs virtio_fs_daemon, which is empty in [hypervisor.qemu] of \(context.configurationFile): set it there")
        }
    }

    /// Kata's normalisation of comma-separated lists.
    private static func commaList(_ text: String) -> String {
        text.split(separator: ",").map { $0.trimmingBlanks() }.filter { !$0.isEmpty }.joined(separator: ",")
    }
}
