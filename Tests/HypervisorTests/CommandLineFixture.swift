import Foundation
import Hypervisor
import KataConfig
import Testing

/// The shipped configurations and a fixed sandbox plan for command-line tests:
/// a 16-CPU, 64 GiB host (as in the compatibility notes' example), one veth,
/// and descriptors numbered the way Kata registers them (QMP 3, vhost-vsock 4,
/// then vhost-net and tap).
enum CommandLineFixture {
    enum Rootfs: String, CaseIterable, Sendable { case image, initrd }
    enum Channel: String, CaseIterable, Sendable {
        case vsock
        case virtioSerial = "virtio-serial"
    }

    static let configurations = ["qemu", "qemu-coco-dev", "qemu-tdx", "qemu-snp"]

    static let sandboxID = "5c7e2f0b9a8d4c6e1f3a5b7d9c0e2f4a6b8d0c1e3f5a7b9d2c4e6f8a0b1c3d5e"
    static let uuid = "4a1f6c2e-8b3d-4e5f-9a7b-0c1d2e3f4a5b"
    static let runDirectory = "/run/vc/vm/" + sandboxID
    static let cid: UInt32 = 3_558_411
    static let macAddress = "02:42:0a:58:00:07"
    static let imageSize: UInt64 = 268_435_456
    static let imageDriveID = "9c1e5a7b3d2f4068"
    static let virtioFSDeviceID = "a3f1c9e07b5d2468"
    static let snpCBitPosition: UInt32 = 51
    static let initDataPath = "/run/kata-containers/shared/initdata/\(sandboxID)/data.img"
    static let host = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 16, memoryMiB: 65536)

    /// `cc_init_data` annotations (base64 of gzip) of one small document,
    /// with `algorithm = "sha384"` (TDX's 48-byte mrconfigid) and `"sha256"`
    /// (SEV-SNP's 32-byte host-data).
    static let initDataSHA384 = "H4sIAAAAAAACAyXMMQvCMBCG4f1+xZElW6joIEIHF2dxlSJHe6bBM6nJpeK/t9XhW14evplzCSlii6ZxG9cYIPEpBx2faysjbfc7A3AdSKkDMyUJ/cdl9skswFoLE/UP8ozLot7+AGDgO1VRPIqk94VflYuWEwUJ0Z9/Bg8taq4M68kXQUMmYYgAAAA="
    static let initDataSHA256 = "H4sIAAAAAAACAyXMMQvCMBCG4f1+xZElW6iCDkIHF2dxlSJHe6bBM6nJpeK/t9XhW14evplzCSlii6ZxG9cYIPEpBx2faysjbXd7A3AdSKkDMyUJ/cdl9skswFoLE/UP8ozLot7+AGDgO1VRPIqk94VflYuWEwUJ0Z9/Bg8taq4M68kXSAb5SYgAAAA="

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `configuration/configuration-<name>.toml` through the loader.
    static func load(_ name: String) throws -> KataConfiguration {
        try ConfigurationLoader(searchPath: [], environment: [:])
            .load(configPath: repository + "/configuration/configuration-\(name).toml").configuration
    }

    /// A shipped configuration booting `rootfs` and reaching the agent over `channel`.
    static func configuration(_ name: String, rootfs: Rootfs, channel: Channel) throws -> KataConfiguration {
        var configuration = try load(name)
        if rootfs == .initrd {
            // Kata's initrd next to the image (the confidential one for the CoCo classes).
            let image = try #require(configuration.hypervisor.image)
            configuration.hypervisor.initrd = image
                .replacing("kata-containers-confidential.img", with: "kata-containers-initrd-confidential.img")
                .replacing("kata-containers.img", with: "kata-containers-initrd.img")
            configuration.hypervisor.image = nil
        }
        configuration.hypervisor.agentChannel = channel == .vsock ? .vsock : .virtioSerial
        return configuration
    }

    /// What a host that can run `configuration` offers.
    static func hostFor(_ configuration: KataConfiguration) -> SandboxPlan.Host {
        let h = configuration.hypervisor
        guard h.confidentialGuest else { return SandboxPlan.Host() }
        return h.sevSnpGuest
            ? SandboxPlan.Host(guestProtection: .snp, snpCBitPosition: snpCBitPosition)
            : SandboxPlan.Host(guestProtection: .tdx)
    }

    /// The fixed plan for `configuration`, its kernel command line composed
    /// by KataConfig, `host` memory and CPUs sized by KataConfig.
    static func plan(
        for configuration: KataConfiguration, host: HostFacts = host, initData: String? = nil
    ) throws -> SandboxPlan {
        var sandbox = SandboxConfiguration(configuration: configuration)
        var disk: SandboxPlan.InitDataDisk?
        if let initData {
            let decoded = try InitData(annotation: initData)
            sandbox.initData = decoded
            disk = SandboxPlan.InitDataDisk(imagePath: initDataPath, initData: decoded)
        }
        let sizing = SandboxSizing(configuration: configuration, workload: WorkloadResources(), host: host)
        let parameters = try KernelCommandLine.compose(sandbox, sizing: sizing)
        let vsock = configuration.hypervisor.agentChannel == .vsock
        let agent: SandboxPlan.AgentTransport =
            vsock ? .vsock(cid: cid, descriptor: 4) : .virtioSerial(socket: runDirectory + "/agent.sock")
        var plan = SandboxPlan(
            sandboxID: sandboxID, uuid: uuid, runDirectory: runDirectory, sizing: sizing,
            kernelParameters: parameters, agent: agent)
        switch configuration.hypervisor.sharedFS {
        case .virtioFS: plan.sharedFilesystem = .virtioFS(socketPath: plan.virtioFSSocketPath, deviceID: virtioFSDeviceID)
        case .virtio9P: plan.sharedFilesystem = .virtio9P(hostPath: "/run/kata-containers/shared/sandboxes/\(sandboxID)/shared")
        case .none: plan.sharedFilesystem = .none
        }
        let first: Int32 = vsock ? 5 : 4
        plan.networks = [SandboxPlan.NetworkTap(tapDescriptors: [first + 1], vhostDescriptors: [first], macAddress: macAddress)]
        plan.initData = disk
        plan.imageSize = imageSize
        plan.imageDriveID = imageDriveID
        plan.host = hostFor(configuration)
        return plan
    }
}
