/// The rules that involve more than one key, checked once the main file and
/// the drop-ins are merged. Messages name the file that set each key.
struct ConfigurationValidator {
    var configuration: KataConfiguration
    var origins: [String: String]
    var mainFile: String

    func validate() throws(ConfigurationError) {
        let h = configuration.hypervisor
        if h.image != nil && h.initrd != nil {
            throw ConfigurationError(
                keys("hypervisor.qemu.image", "hypervisor.qemu.initrd")
                    + " are both set: a guest boots either an image or an initrd; remove one (a drop-in can clear it with image = \"\" or initrd = \"\")")
        }
        if h.image == nil && h.initrd == nil {
            throw ConfigurationError(
                "\(mainFile): hypervisor.qemu: neither image nor initrd is set: set image to the guest root filesystem image, or initrd to an initramfs")
        }
        if h.sharedFS == .virtioFS && h.virtioFSDaemon.isEmpty {
            throw ConfigurationError(
                keys("hypervisor.qemu.shared_fs", "hypervisor.qemu.virtio_fs_daemon")
                    + ": shared_fs = \"virtio-fs\" needs virtio_fs_daemon: set it to virtiofsd's path, or set shared_fs = \"none\"")
        }
        if h.snpIDBlock.isEmpty != h.snpIDAuth.isEmpty {
            let (set, unset) = h.snpIDBlock.isEmpty ? ("snp_id_auth", "snp_id_block") : ("snp_id_block", "snp_id_auth")
            throw ConfigurationError(
                "\(origin("hypervisor.qemu.\(set)")): hypervisor.qemu.\(set) is set but \(unset) is empty: set both or neither")
        }
        if h.hotPlugVFIO != "no-port" && h.coldPlugVFIO != "no-port" {
            throw ConfigurationError(
                keys("hypervisor.qemu.hot_plug_vfio", "hypervisor.qemu.cold_plug_vfio")
                    + ": hot_plug_vfio = \"\(h.hotPlugVFIO)\" and cold_plug_vfio = \"\(h.coldPlugVFIO)\": only one can name a port; set the other to \"no-port\"")
        }
        if h.accelerator == .tcg && h.confidentialGuest {
            throw ConfigurationError(
                keys("hypervisor.qemu.accelerator", "hypervisor.qemu.confidential_guest")
                    + ": accelerator = \"tcg\" cannot run a confidential guest (TDX and SEV-SNP need KVM): set accelerator = \"kvm\", or use a non-confidential configuration such as configuration-qemu-coco-dev.toml")
        }
        if !h.kernelVerityParams.isEmpty {
            do {
                _ = try KernelVerityParameters(h.kernelVerityParams)
            } catch {
                throw ConfigurationError("\(origin("hypervisor.qemu.kernel_verity_params")): hypervisor.qemu.kernel_verity_params: \(error.message)")
            }
        }
        let r = configuration.runtime
        if r.disableNewNetns && r.internetworkingModel != "none" {
            throw ConfigurationError(
                keys("runtime.disable_new_netns", "runtime.internetworking_model")
                    + ": disable_new_netns = true works only with internetworking_model = \"none\" (found \"\(r.internetworkingModel)\")")
        }
        if configuration.factory.enableTemplate && h.initrd == nil {
            throw ConfigurationError(
                "\(origin("factory.enable_template")): factory.enable_template = true needs an initrd (VM templates cannot share an image): set hypervisor.qemu.initrd, or enable_template = false")
        }
    }

    private func origin(_ keyPath: String) -> String {
        origins[keyPath] ?? mainFile
    }

    /// `file: a and b` when one file set both keys, else `fileA: a and fileB: b`.
    private func keys(_ a: String, _ b: String) -> String {
        let (fa, fb) = (origin(a), origin(b))
        return fa == fb ? "\(fa): \(a) and \(b)" : "\(fa): \(a) and \(fb): \(b)"
    }
}
