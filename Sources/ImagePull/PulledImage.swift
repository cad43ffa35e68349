/// An image pulled and unpacked: what the agent needs to run a container from it.
public struct PulledImage: Sendable {
    /// The reference as parsed.
    public var reference: ImageReference
    /// The directory holding the merged root filesystem of all layers.
    public var rootfs: String
    /// How the image wants to be run.
    public var configuration: ImageConfiguration
    /// `sha256:<hex>` of the image manifest (the platform's, when the reference named an index).
    public var manifestDigest: String
    /// `sha256:<hex>` of the config blob, the image ID.
    public var configDigest: String
}
