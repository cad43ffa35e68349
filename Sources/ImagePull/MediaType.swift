/// The media types a pull meets.
enum MediaType {
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

    static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    static let indexes: Set<String> = [ociIndex, dockerManifestList]
    static let manifests: Set<String> = [ociManifest, dockerManifest]

    /// Whether a layer of `mediaType` is gzip-compressed; nil when it cannot be unpacked here.
    static func layerIsCompressed(_ mediaType: String) -> Bool? {
        switch mediaType {
        case ociLayer: false
        case ociLayerGzip, dockerLayerGzip: true
        default: nil
        }
    }
}
