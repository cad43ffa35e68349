#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Kata's `KataVirtualVolume` (virtcontainers/types/virtual_volume.go), only
/// the fields an `image_guest_pull` volume uses. The shim finds it in a
/// rootfs mount option `io.katacontainers.volume=<base64 of this JSON>` and
/// tells the agent to pull the image in the guest.
public struct KataVirtualVolume: Codable, Sendable, Equatable {
    /// `image_pull` of the volume: what the agent's image pull handler reads.
    public struct ImagePull: Codable, Sendable, Equatable {
        public var metadata: [String: String]

        public init(metadata: [String: String]) {
            self.metadata = metadata
        }
    }

    public var volumeType: String
    /// The image reference (the shim overrides it with the CRI image-name annotation).
    public var source: String
    public var fsType: String
    public var options: [String]
    public var imagePull: ImagePull?

    enum CodingKeys: String, CodingKey {
        case volumeType = "volume_type"
        case source
        case fsType = "fs_type"
        case options
        case imagePull = "image_pull"
    }

    /// The mount option prefix Kata's shim looks for.
    public static let optionPrefix = "io.katacontainers.volume="
    public static let guestPullType = "image_guest_pull"

    public init(volumeType: String, source: String, fsType: String, options: [String], imagePull: ImagePull?) {
        self.volumeType = volumeType
        self.source = source
        self.fsType = fsType
        self.options = options
        self.imagePull = imagePull
    }

    /// A guest-pull volume for the image `source`, its labels as metadata.
    public static func guestPull(source: String, metadata: [String: String]) -> KataVirtualVolume {
        KataVirtualVolume(volumeType: guestPullType, source: source, fsType: "overlay", options: [],
                          imagePull: ImagePull(metadata: metadata))
    }

    /// `io.katacontainers.volume=` and the JSON in standard, padded base64
    /// (Go's base64.StdEncoding, which the shim decodes with).
    public func mountOption() throws -> String {
        let encoder = JSONEncoder()
        // Sorted keys: the same snapshot always gives the same mount.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Self.optionPrefix + (try encoder.encode(self)).base64EncodedString()
    }

    /// The volume in a mount option made by `mountOption()`, nil when the
    /// option is another one.
    public static func decode(mountOption option: String) throws -> KataVirtualVolume? {
        guard option.hasPrefix(optionPrefix) else { return nil }
        guard let json = Data(base64Encoded: String(option.dropFirst(optionPrefix.count))) else {
            throw SnapshotterError(.invalidArgument, "\(optionPrefix) option is not standard base64")
        }
        return try JSONDecoder().decode(KataVirtualVolume.self, from: json)
    }
}
