import Files
import Glibc

/// Pulls an image from an OCI registry (anonymous, plain HTTP) and unpacks
/// its layers into one directory, as Confidential Containers' guest pull
/// does: the host never sees the layers.
///
///     let image = try ImagePuller().pull(reference: "198.18.7.1:5000/busybox:1.36", into: "/run/images/c1/rootfs")
public struct ImagePuller: Sendable {
    /// Seconds to wait for a TCP connection to the registry.
    public var connectTimeout: Double
    /// Seconds to wait for the registry to send anything, on each read.
    public var registryTimeout: Double
    /// The architecture an index resolves to (`amd64`, `arm64`), with OS `linux`.
    public var architecture: String

    public init(connectTimeout: Double = 10, registryTimeout: Double = 60,
                architecture: String = ImagePuller.machineArchitecture) {
        self.connectTimeout = connectTimeout
        self.registryTimeout = registryTimeout
        self.architecture = architecture
    }

    /// This machine's architecture in OCI's spelling.
    public static var machineArchitecture: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #elseif arch(s390x)
        "s390x"
        #elseif arch(powerpc64le)
        "ppc64le"
        #else
        "unknown"
        #endif
    }

    /// Pulls `reference` and unpacks it into `rootfs` (created if missing;
    /// it should be empty). Layers are downloaded one at a time next to it,
    /// in `<rootfs>.download`, and removed once applied.
    public func pull(reference text: String, into rootfs: String) throws(ImagePullError) -> PulledImage {
        let reference = try ImageReference(parsing: text)
        let registry = RegistryClient(
            reference: reference, http: HTTPClient(connectTimeout: connectTimeout, ioTimeout: registryTimeout))

        var (body, mediaType, digest) = try registry.manifest(reference.manifestReference, what: "manifest")
        if let pinned = reference.digest, pinned != digest.description {
            throw registry.error(.digestMismatch, "manifest: the registry sent a manifest with digest \(digest), not \(pinned)")
        }
        var document = try parse(body, registry, what: "manifest \(digest)")
        if isIndex(document, mediaType: mediaType) {
            let entry = try platformEntry(document, registry, what: "index \(digest)")
            (body, mediaType, digest) = try registry.manifest(entry.digest.description, what: "manifest \(entry.digest) for linux/\(architecture)")
            guard digest == entry.digest else {
                throw registry.error(.digestMismatch, "manifest: index entry \(entry.digest) arrived with digest \(digest)")
            }
            document = try parse(body, registry, what: "manifest \(digest)")
            if isIndex(document, mediaType: mediaType) {
                throw registry.error(.unsupported, "manifest \(digest): an index inside an index is not supported")
            }
        }
        guard mediaType.isEmpty || MediaType.manifests.contains(mediaType) else {
            throw registry.error(.unsupported, "manifest \(digest): media type \(mediaType) is not an image manifest")
        }

        let config: ContentDescriptor
        var layers: [(descriptor: ContentDescriptor, compressed: Bool)] = []
        do throws(ImageDocumentError) {
            guard let configJSON = document["config"] else { throw ImageDocumentError("no config") }
            config = try ContentDescriptor(configJSON, what: "config")
            guard let layerList = document["layers"]?.array else { throw ImageDocumentError("no layers") }
            for (index, item) in layerList.enumerated() {
                let layer = try ContentDescriptor(item, what: "layer \(index + 1)")
                guard let compressed = MediaType.layerIsCompressed(layer.mediaType) else {
                    throw ImageDocumentError(
                        "layer \(index + 1) (\(layer.digest)) has media type \(layer.mediaType.isEmpty ? "(none)" : layer.mediaType), which cannot be unpacked here (only tar and tar+gzip; not zstd or encrypted layers)")
                }
                layers.append((layer, compressed))
            }
        } catch {
            throw registry.error(error.reason.contains("media type") ? .unsupported : .malformed, "manifest \(digest): \(error.reason)")
        }

        let configBytes = try registry.smallBlob(config, what: "config \(config.digest)")
        let configuration: ImageConfiguration
        do {
            configuration = try ImageConfiguration(json: try parse(configBytes, registry, what: "config \(config.digest)"))
        } catch let error as ImageDocumentError {
            throw registry.error(.malformed, "config \(config.digest): \(error.reason)")
        } catch {
            throw error as! ImagePullError
        }

        let download = rootfs + ".download"
        do {
            try makeDirectories(rootfs)
            try makeDirectories(download)
        } catch {
            throw registry.error(.localFile, error.description)
        }
        defer { removeTree(download) }
        let unpacker = LayerUnpacker(root: rootfs)
        for (index, layer) in layers.enumerated() {
            let what = "layer \(index + 1)/\(layers.count) \(layer.descriptor.digest)"
            let file = download + "/layer"
            try registry.blob(layer.descriptor, to: file, what: what)
            do {
                try unpacker.unpack(layerAt: file, compressed: layer.compressed, name: what)
            } catch {
                throw ImagePullError(error.kind, "pull \(reference): \(error.description)")
            }
            unlink(file)
        }
        return PulledImage(
            reference: reference, rootfs: rootfs, configuration: configuration,
            manifestDigest: digest.description, configDigest: config.digest.description)
    }

    private func parse(_ body: [UInt8], _ registry: RegistryClient, what: String) throws(ImagePullError) -> JSON {
        do {
            return try JSONParser.parse(body)
        } catch {
            throw registry.error(.malformed, "\(what): \(error.description)")
        }
    }

    private func isIndex(_ document: JSON, mediaType: String) -> Bool {
        MediaType.indexes.contains(mediaType) || (mediaType.isEmpty && document["manifests"] != nil)
    }

    /// The index entry for linux/`architecture`; an error lists the platforms there are.
    private func platformEntry(_ index: JSON, _ registry: RegistryClient, what: String) throws(ImagePullError) -> ContentDescriptor {
        guard let items = index["manifests"]?.array else {
            throw registry.error(.malformed, "\(what): no manifests list")
        }
        var entries: [ContentDescriptor] = []
        for (position, item) in items.enumerated() {
            do {
                entries.append(try ContentDescriptor(item, what: "\(what) entry \(position + 1)"))
            } catch {
                throw registry.error(.malformed, error.reason)
            }
        }
        if let match = entries.first(where: { $0.platform?.os == "linux" && $0.platform?.architecture == architecture }) {
            return match
        }
        let found = entries.map { $0.platform?.description ?? "(no platform)" }
        throw registry.error(.platformNotFound,
                             "\(what): no entry for linux/\(architecture); the index has \(found.isEmpty ? "no entries" : found.joined(separator: ", "))")
    }
}
