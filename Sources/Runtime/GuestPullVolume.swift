#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A rootfs the host must not see: the guest pulls the image itself (Kata's
/// guest pull, kata-shim-compat §6). It comes from a guest-pull snapshotter's
/// mount, whose options carry `io.katacontainers.volume=<base64 JSON>` with
/// `"volume_type": "image_guest_pull"`, or from `experimental_force_guest_pull`.
public struct GuestPullVolume: Sendable, Equatable {
    /// `image_pull.metadata` of the volume: the snapshotter's labels (image
    /// reference, layer and manifest digests).
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The mount option that carries a Kata virtual volume.
    public static let volumeOptionPrefix = "io.katacontainers.volume="

    /// Kata's `KataVirtualVolume`, the fields this runtime reads.
    struct KataVirtualVolume: Codable {
        struct ImagePull: Codable { var metadata: [String: String]? }
        var volume_type: String
        var source: String?
        var image_pull: ImagePull?
    }

    /// The guest-pull volume containerd's rootfs mounts ask for, nil when
    /// they are an ordinary rootfs (to mount on the host and share), or when
    /// `forced` (`experimental_force_guest_pull`) makes every rootfs one.
    /// A nydus mount without a Kata volume (nydus's own modes) is refused:
    /// only guest pull is supported.
    public static func from(rootfs: [HostMount], forced: Bool) throws -> GuestPullVolume? {
        for mount in rootfs {
            if let option = mount.options.first(where: { $0.hasPrefix(volumeOptionPrefix) }) {
                return try decode(option: option)
            }
            if mount.type.hasPrefix("fuse.") && mount.type.contains("nydus-overlayfs") {
                throw Invalid(description: "rootfs mount of type \(mount.type) has no \(volumeOptionPrefix) option: "
                    + "only guest pull is supported; configure the snapshotter for guest pull (proxy mode)")
            }
        }
        return forced ? GuestPullVolume() : nil
    }

    /// Decodes `io.katacontainers.volume=<base64 of the JSON volume>`.
    static func decode(option: String) throws -> GuestPullVolume {
        let encoded = String(option.dropFirst(volumeOptionPrefix.count))
        guard let bytes = Data(base64Encoded: encoded) else {
            throw Invalid(description: "rootfs mount option \(volumeOptionPrefix)…: not base64 (the snapshotter must encode the volume's JSON with standard base64)")
        }
        let volume: KataVirtualVolume
        do {
            volume = try JSONDecoder().decode(KataVirtualVolume.self, from: bytes)
        } catch {
            throw Invalid(description: "rootfs mount option \(volumeOptionPrefix)…: not a Kata virtual volume (\(error))")
        }
        guard volume.volume_type == "image_guest_pull" else {
            throw Invalid(description: "rootfs volume_type \"\(volume.volume_type)\" is not supported: only image_guest_pull is")
        }
        return GuestPullVolume(metadata: volume.image_pull?.metadata ?? [:])
    }
}
