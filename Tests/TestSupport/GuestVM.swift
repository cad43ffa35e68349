import Foundation

/// The development guest (`make guest`: build/guest) booted under TCG the way
/// Kata boots it: q35, the kernel with qboot, the rootfs image on nvdimm with
/// DAX (or the initrd variant), and the agent's virtio-serial port
/// `agent.channel.0` on a unix socket. One VM at a time across the whole test
/// run (`VMSlot`): the machine has two cores.
public final class GuestVM: @unchecked Sendable {
    public enum Root: Sendable { case nvdimm, initrd }

    public static let guestDirectory = packageRoot + "/build/guest"
    public let directory: String
    public let process: BackgroundProcess
    public var agentSocket: String { directory + "/agent.sock" }
    public var consoleLog: String { process.log }

    /// Boots the guest; `kernelParameters` are appended to Kata's command line.
    public init(root: Root = .nvdimm, kernelParameters: [String] = [], memoryMiB: Int = 512) throws {
        let guest = Self.guestDirectory
        for file in ["vmlinux", "kata-containers.img", "kata-containers-initrd.img"] where !FileManager.default.fileExists(atPath: guest + "/" + file) {
            throw CommandError(description: "\(guest)/\(file) is missing: run `make guest` (make test does)")
        }
        directory = try makeTemporaryDirectory("kvm")
        var arguments = [
            "qemu-system-x86_64", "-name", "kata-test", "-cpu", "max", "-m", "\(memoryMiB)M,slots=2,maxmem=2G",
            "-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio", "-bios", "/usr/share/qemu/qboot.rom",
            "-device", "virtio-serial-pci,id=vser0",
            "-chardev", "socket,id=ch0,path=\(directory)/agent.sock,server=on,wait=off",
            "-device", "virtserialport,bus=vser0.0,chardev=ch0,name=agent.channel.0",
            "-object", "rng-random,id=rng0,filename=/dev/urandom", "-device", "virtio-rng-pci,rng=rng0",
            "-kernel", guest + "/vmlinux",
        ]
        var append = ["console=ttyS0", "quiet", "panic=1"]
        switch root {
        case .nvdimm:
            let image = guest + "/kata-containers.img"
            let size = (try FileManager.default.attributesOfItem(atPath: image)[.size] as? NSNumber)?.intValue ?? 0
            arguments += ["-machine", "q35,accel=tcg,nvdimm=on",
                          "-object", "memory-backend-file,id=mem0,mem-path=\(image),size=\(size),readonly=on",
                          "-device", "nvdimm,id=nv0,memdev=mem0,unarmed=on"]
            append += ["root=/dev/pmem0p1", "rootflags=dax,data=ordered,errors=remount-ro", "ro", "rootfstype=ext4"]
        case .initrd:
            arguments += ["-machine", "q35,accel=tcg", "-initrd", guest + "/kata-containers-initrd.img"]
        }
        arguments += ["-append", (append + kernelParameters).joined(separator: " ")]
        process = try BackgroundProcess(arguments, logPath: directory + "/console.log", package: "qemu-system-x86")
    }

    /// Kills QEMU (by pid) and removes the VM's directory.
    public func stop() {
        process.stop(signal: SIGKILL, grace: 5)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// One VM at a time in this test process.
public actor VMSlot {
    public static let shared = VMSlot()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    /// Runs `body` holding the slot.
    public static func run<T>(_ body: () async throws -> T) async throws -> T {
        await shared.acquire()
        do {
            let result = try await body()
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }
}
