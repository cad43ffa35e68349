import KataConfig

extension QEMUCommandLine {
    /// What the configuration and plan resolve to, checked once; `arguments()`
    /// then only writes.
    struct Layout {
        let configuration: HypervisorConfiguration
        let plan: SandboxPlan
        let protection: SandboxPlan.GuestProtection
        let rootfs: GuestRootfs
        let disableModern: Bool
        let debug: Bool

        var confidential: Bool { protection != .none }

        init(configuration: HypervisorConfiguration, plan: SandboxPlan) throws(QEMUCommandLineError) {
            self.configuration = configuration
            self.plan = plan
            try Self.checkConfiguration(configuration)
            protection = try Self.protection(configuration, host: plan.host)
            rootfs = GuestRootfs(hypervisor: configuration)
            disableModern = plan.host.nested && !configuration.disableNestingChecks
            debug = configuration.enableDebug || plan.debug
            try checkPlan()
        }

        func arguments() -> [String] {
            var argv = [configuration.path]
            argv += ["-name", "sandbox-" + Self.escaped(plan.sandboxID) + (debug ? ",debug-threads=on" : "")]
            argv += ["-uuid", plan.uuid]
            argv += ["-machine", machine()]
            argv += ["-cpu", cpu()]
            argv += ["-qmp", "unix:fd=\(plan.qmpDescriptor),server=on,wait=off"]
            argv += extraMonitor()
            argv += ["-m", memory()]
            argv += devices()
            argv += ["-rtc", "base=utc,driftfix=slew,clock=host"]
            argv += ["-global", "kvm-pit.lost_tick_policy=discard"]
            for flash in configuration.pflashes { argv += ["-pflash", flash] }
            argv += ["-vga", "none"]
            argv += ["-no-user-config", "-nodefaults", "-nographic", "--no-reboot"]
            argv += ["-object", memoryBackend(), "-numa", "node,memdev=dimm1"]
            argv += ["-kernel", configuration.kernel]
            if rootfs == .initrd, let initrd = configuration.initrd { argv += ["-initrd", initrd] }
            if !plan.kernelParameters.isEmpty {
                argv += ["-append", KernelCommandLine.render(plan.kernelParameters)]
            }
            if let bios = bios() { argv += ["-bios", bios] }
            if let thread = ioThreadID { argv += ["-object", "iothread,id=\(thread)"] }
            argv += ["-pidfile", plan.pidFilePath]
            if !configuration.seccompSandbox.isEmpty { argv += ["-sandbox", configuration.seccompSandbox] }
            argv += ["-smp", smp()]
            return argv
        }

        // MARK: Machine, CPU, memory

        func machine() -> String {
            var options = [configuration.machineType, "accel=\(configuration.accelerator.rawValue)"]
            // Interrupt remapping (vIOMMU) and guest protection need QEMU's split irqchip.
            if configuration.enableIOMMU || confidential { options.append("kernel_irqchip=split") }
            if confidential { options.append("confidential-guest-support=\(protection.rawValue)") }
            if rootfs == .nvdimm { options.append("nvdimm=on") }
            let accelerators = Self.trimmed(configuration.machineAccelerators, dropping: ",")
            if !accelerators.isEmpty { options.append(accelerators) }
            return options.joined(separator: ",")
        }

        func cpu() -> String {
            let model: String
            switch configuration.accelerator {
            case .tcg: model = "max"
            // QEMU's `host` model does not describe an SEV-SNP guest's CPUID yet.
            case .kvm: model = protection == .snp ? "EPYC-v4" : "host"
            }
            let features = Self.trimmed(configuration.cpuFeatures, dropping: ",")
            return features.isEmpty ? model : model + "," + features
        }

        /// Kata reserves `memory_offset` + 1024 MiB above the ceiling for the nvdimm image.
        var maxMemoryArgumentMiB: UInt64 { plan.maxMemoryMiB + configuration.memoryOffsetMiB + 1024 }

        var memorySlots: UInt32 { plan.memorySlots == 0 ? 10 : plan.memorySlots }

        func memory() -> String {
            if confidential { return "\(plan.memoryMiB)M" }
            return "\(plan.memoryMiB)M,slots=\(memorySlots),maxmem=\(maxMemoryArgumentMiB)M"
        }

        func smp() -> String {
            if confidential { return "\(plan.vcpus),cores=1,threads=1" }
            return "\(plan.vcpus),cores=1,threads=1,sockets=\(plan.maxVCPUs),maxcpus=\(plan.maxVCPUs)"
        }

        /// The guest RAM: file-backed and shared when virtiofsd must map it (or
        /// `file_mem_backend` says so), from hugepages when asked.
        func memoryBackend() -> String {
            let size = "\(plan.memoryMiB)M"
            let fileBacked = configuration.sharedFS == .virtioFS || !configuration.fileMemBackend.isEmpty
            var backend: String
            if configuration.enableHugepages {
                backend = "memory-backend-file,id=dimm1,size=\(size),mem-path=/dev/hugepages"
            } else if fileBacked {
                let directory = configuration.fileMemBackend.isEmpty ? "/dev/shm" : configuration.fileMemBackend
                backend = "memory-backend-file,id=dimm1,size=\(size),mem-path=\(Self.escaped(directory))"
            } else {
                backend = "memory-backend-ram,id=dimm1,size=\(size)"
            }
            if fileBacked { backend += ",share=on" }
            // Kata preallocates hugepages whenever the memory is file-backed.
            if configuration.enableMemPrealloc || (fileBacked && configuration.enableHugepages) { backend += ",prealloc=on" }
            return backend
        }

        /// `-bios`: the configured firmware, which for TDX and SEV-SNP is the
        /// TDVF/OVMF image; SEV boots its firmware from pflash instead.
        func bios() -> String? {
            if protection == .sev || configuration.firmware.isEmpty { return nil }
            return configuration.firmware
        }

        /// Kata names it `iothread-<random hex>`; it only has to be unique in the VM.
        var ioThreadID: String? {
            configuration.blockDeviceDriver == "virtio-scsi" && configuration.enableIOThreads ? "iothread-scsi0" : nil
        }

        /// The debug-only second monitor (`extra_monitor_socket`), which gives
        /// whoever reaches it full control of QEMU.
        func extraMonitor() -> [String] {
            guard debug, !configuration.extraMonitorSocket.isEmpty else { return [] }
            let option = configuration.extraMonitorSocket == "hmp" ? "-monitor" : "-" + configuration.extraMonitorSocket
            return [option, "unix:path=\(Self.escaped(plan.extraMonitorSocketPath)),server=on,wait=off"]
        }

        // MARK: Helpers

        var disableModernOption: String { "disable-modern=\(disableModern)" }

        /// QEMU's escape for a comma inside an option value.
        static func escaped(_ value: String) -> String {
            value.replacing(",", with: ",,")
        }

        static func trimmed(_ text: String, dropping extra: Character) -> String {
            let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == extra }
            guard let start = text.firstIndex(where: { !blank($0) }), let end = text.lastIndex(where: { !blank($0) }) else {
                return ""
            }
            return String(text[start...end])
        }
    }
}
