#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import KataConfig
import Protocols

/// How a container's OCI spec reaches the guest, and what the host does for
/// it first: Kata's edits of the spec (`kata_agent.go` createContainer), the
/// guest rootfs path, and the host paths shared with the guest.
public struct GuestContainerPlan: Sendable, Equatable {
    /// A host path bind-mounted into the shared directory under `name`.
    public struct SharedPath: Sendable, Equatable {
        public var hostPath: String
        public var name: String
        public var readOnly: Bool
    }

    /// The spec sent in CreateContainer.
    public var spec: Grpc_Spec
    /// Whether the rootfs is shared as `<cid>/rootfs`.
    public var sharesRootfs: Bool
    /// Bind mounts of the spec, shared under their names.
    public var sharedPaths: [SharedPath] = []
    /// Storages sent before the container's own (the guest-pull rootfs).
    public var storages: [Grpc_Storage] = []

    public struct Unsupported: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Destinations handled by the guest itself, never shared from the host.
    static let guestOwnedDestinations: Set<String> = ["/proc", "/sys", "/dev", "/dev/pts", "/dev/mqueue", "/sys/fs/cgroup"]

    /// The guest path of something shared under `name`.
    public static func guestPath(_ name: String) -> String { SandboxPaths.guestSharedDirectory + "/" + name }

    /// - Parameters:
    ///   - spec: the container's spec (config.json) in agent form.
    ///   - kind: sandbox, pod container or single container.
    ///   - bundle: the container's bundle directory (annotation for the guest).
    ///   - configuration: the sandbox's configuration (shared_fs, seccomp).
    ///   - guestPull: the rootfs is pulled in the guest (never mounted on the host).
    ///   - isDirectory: whether a host path is a directory (nil: it does not exist).
    public init(spec original: Grpc_Spec, containerID: String, kind: ContainerKind, bundle: String,
                configuration: KataConfiguration, guestPull: GuestPullVolume? = nil, isDirectory: (String) -> Bool?) throws {
        var spec = original
        let sharedFS = configuration.hypervisor.sharedFS
        spec.hooks = Grpc_Hooks()
        spec.clearHooks()
        if configuration.runtime.disableGuestSeccomp { spec.linux.clearSeccomp() }
        if spec.hasLinux {
            // The VM is the boundary for devices and the network; the guest's
            // cgroup places CPUs and memory nodes itself.
            if spec.linux.hasResources {
                spec.linux.resources.devices = []
                spec.linux.resources.clearPids()
                spec.linux.resources.clearBlockIo()
                spec.linux.resources.clearNetwork()
                if spec.linux.resources.hasCpu {
                    spec.linux.resources.cpu.cpus = ""
                    spec.linux.resources.cpu.mems = ""
                }
            }
            spec.linux.namespaces = spec.linux.namespaces.compactMap { namespace in
                guard !["network", "cgroup", "time"].contains(namespace.type) else { return nil }
                var kept = namespace
                kept.path = ""
                return kept
            }
        }
        spec.annotations["io.katacontainers.pkg.oci.container_type"] = kind.kataAnnotationValue
        spec.annotations["io.katacontainers.pkg.oci.bundle_path"] = bundle

        // The rootfs: pulled by the guest, or shared from the host unless the class shares nothing.
        if let guestPull {
            sharesRootfs = false
            let storage = try Self.guestPullStorage(guestPull, containerID: containerID, kind: kind, annotations: spec.annotations)
            storages.append(storage)
            spec.root.path = storage.mountPoint
        } else {
            sharesRootfs = sharedFS != .none
        }
        guard sharesRootfs || guestPull != nil else {
            throw Unsupported(description: "container \(containerID): this configuration has shared_fs = \"none\" (hypervisor.qemu.shared_fs), "
                + "so the container's rootfs cannot be shared from the host; a confidential class needs the image pulled in the guest "
                + "(experimental_force_guest_pull or a guest-pull snapshotter), or use a class with shared_fs = \"virtio-fs\"")
        }
        if guestPull == nil { spec.root.path = Self.guestPath(containerID + "/rootfs") }

        var mounts: [Grpc_Mount] = []
        for var mount in spec.mounts {
            let options = MountOptions(mount.options)
            let isBind = mount.type == "bind" || options.isBind
            if isBind && mount.destination == "/dev/shm" {
                // The sandbox's shm (an ephemeral tmpfs made by CreateSandbox).
                mount.source = SandboxPaths.guestSandboxShm
                mount.type = "bind"
                mount.options = ["rbind"]
                mounts.append(mount)
                continue
            }
            guard isBind, mount.source.hasPrefix("/"), !Self.guestOwnedDestinations.contains(mount.destination) else {
                mounts.append(mount)
                continue
            }
            guard isDirectory(mount.source) != nil else {
                throw Unsupported(description: "container \(containerID): mount source \(mount.source) (for \(mount.destination)) does not exist on the host")
            }
            let base = mount.destination.split(separator: "/").last.map(String.init) ?? "mount"
            let name = "\(containerID)-\(sharedPaths.count)-\(base)"
            sharedPaths.append(SharedPath(hostPath: mount.source, name: name, readOnly: options.isReadOnly))
            mount.source = Self.guestPath(name)
            mount.type = "bind"
            mounts.append(mount)
        }
        spec.mounts = mounts
        self.spec = spec
    }
}

extension GuestContainerPlan {
    /// Where the agent mounts a guest-pulled rootfs, as in Kata.
    public static func guestPullMountPoint(_ containerID: String) -> String { "/run/kata-containers/\(containerID)/rootfs" }

    /// Kata's `handleImageGuestPullBlockVolume`: driver `image_guest_pull`,
    /// the image as source (`pause` for the sandbox, whose image the guest
    /// carries), the volume's metadata merged with the container's
    /// annotations as the driver option, an overlay at the rootfs mount point.
    static func guestPullStorage(_ volume: GuestPullVolume, containerID: String, kind: ContainerKind,
                                 annotations: [String: String]) throws -> Grpc_Storage {
        var storage = Grpc_Storage()
        storage.driver = "image_guest_pull"
        if kind == .podSandbox {
            storage.source = "pause"
        } else if let image = annotations["io.kubernetes.cri.image-name"] ?? annotations["io.kubernetes.cri-o.ImageName"], !image.isEmpty {
            storage.source = image
        } else {
            throw Unsupported(description: "container \(containerID): Failed to get image name from annotations "
                + "(io.kubernetes.cri.image-name): the guest pulls the image by that name; run it through CRI, or give the annotation")
        }
        var metadata = volume.metadata
        for (key, value) in annotations { metadata[key] = value }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(["metadata": metadata])
        storage.driverOptions = ["image_guest_pull=" + String(decoding: json, as: UTF8.self)]
        storage.fstype = "overlay"
        storage.mountPoint = guestPullMountPoint(containerID)
        return storage
    }
}

/// What CreateSandbox takes from the sandbox's spec: its hostname, and its DNS
/// as the lines of the file mounted at /etc/resolv.conf (Kata does the same).
public struct SandboxIdentity: Sendable, Equatable {
    public var hostname: String
    public var dns: [String]

    public init(spec: Grpc_Spec, readFile: (String) -> String?) {
        hostname = String(spec.hostname.prefix(64))
        if let resolv = spec.mounts.first(where: { $0.destination == "/etc/resolv.conf" }), let text = readFile(resolv.source) {
            dns = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        } else {
            dns = []
        }
    }
}
