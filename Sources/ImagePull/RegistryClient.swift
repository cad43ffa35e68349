import Digests
import Glibc

/// The OCI distribution API (registry API v2) for one image, anonymous and
/// over plain HTTP: manifests and blobs by digest, each verified.
struct RegistryClient {
    let reference: ImageReference
    let http: HTTPClient

    /// Manifests and indexes are small; this bounds what a registry can make us hold.
    static let manifestLimit = 4 << 20
    static let configLimit = 8 << 20

    private func location(_ kind: String, _ name: String) -> HTTPLocation {
        HTTPLocation(host: reference.host, port: reference.port, target: "/v2/\(reference.repository)/\(kind)/\(name)")
    }

    /// `pull <image>: <what>`.
    func error(_ kind: ImagePullError.Kind, _ what: String) -> ImagePullError {
        ImagePullError(kind, "pull \(reference): \(what)")
    }

    /// A transport failure while fetching `what`.
    private func error(_ failure: HTTPFailure, _ what: String) -> ImagePullError {
        switch failure.kind {
        case .unreachable:
            return ImagePullError(.unreachable, "registry \(reference.registry) unreachable: \(failure.description) (pulling \(reference))")
        case .interrupted:
            return error(.unreachable, "\(what): registry \(reference.registry) stopped answering: \(failure.description)")
        case .malformed:
            return error(.malformed, "\(what): bad answer from registry \(reference.registry): \(failure.description)")
        case .sink:
            return error(.localFile, "\(what): \(failure.description)")
        }
    }

    /// A non-success answer: the status line and what the registry said.
    private func error(_ response: HTTPResponse, _ what: String) -> ImagePullError {
        if response.status == 401 {
            return error(.authenticationRequired,
                         "\(what): registry \(reference.registry) requires authentication (\(response.statusLine)), which is not supported yet; use a registry that allows anonymous pulls")
        }
        return error(.status(response.status), "\(what): \(response.statusLine)\(Self.explanation(response.errorBody))")
    }

    /// ` (MANIFEST_UNKNOWN: manifest unknown)` from the registry's error
    /// document, or the start of whatever else the body holds.
    static func explanation(_ body: [UInt8]) -> String {
        if let json = try? JSONParser.parse(body), let errors = json["errors"]?.array, !errors.isEmpty {
            let parts = errors.map { item in
                [item["code"]?.string, item["message"]?.string].compactMap { $0 }.joined(separator: ": ")
            }
            return " (\(parts.joined(separator: "; ")))"
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingSpaces
        return text.isEmpty ? "" : " (\(text))"
    }

    /// A manifest or index by tag or digest: its bytes, media type and digest.
    func manifest(_ name: String, what: String) throws(ImagePullError) -> (body: [UInt8], mediaType: String, digest: Digest) {
        let accept = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest]
        let answer: (HTTPResponse, [UInt8])
        do {
            answer = try http.get(location("manifests", name), headers: [("Accept", accept.joined(separator: ", "))],
                                  limit: Self.manifestLimit)
        } catch {
            throw self.error(error, what)
        }
        let (response, body) = answer
        guard response.isSuccess else { throw error(response, what) }
        var hasher = SHA256()
        hasher.update(body)
        let digest = Digest(sha256: hasher.finish())
        let declared = (try? JSONParser.parse(body))?["mediaType"]?.string
        let contentType = response.header("content-type")?.split(separator: ";").first.map { String($0).trimmingSpaces }
        return (body, declared ?? contentType ?? "", digest)
    }

    /// A small blob (the config) in memory, verified against `descriptor`.
    func smallBlob(_ descriptor: ContentDescriptor, what: String) throws(ImagePullError) -> [UInt8] {
        var hasher = SHA256()
        let answer: (HTTPResponse, [UInt8])
        do {
            answer = try http.get(location("blobs", descriptor.digest.description), headers: [], limit: Self.configLimit)
        } catch {
            throw self.error(error, what)
        }
        guard answer.0.isSuccess else { throw error(answer.0, what) }
        hasher.update(answer.1)
        try verify(descriptor, digest: Digest(sha256: hasher.finish()), size: Int64(answer.1.count), what: what)
        return answer.1
    }

    /// A blob streamed to the file at `path`, verified against `descriptor`
    /// as it arrives (a mismatch leaves no file behind).
    func blob(_ descriptor: ContentDescriptor, to path: String, what: String) throws(ImagePullError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error(.localFile, "\(what): create \(path): \(String(cString: strerror(errno)))") }
        var hasher = SHA256()
        var size: Int64 = 0
        do throws(ImagePullError) {
            defer { close(fd) }
            let response: HTTPResponse
            do {
                response = try http.get(location("blobs", descriptor.digest.description), headers: []) {
                    (chunk: UnsafeRawBufferPointer) throws(HTTPFailure) in
                    hasher.update(chunk)
                    size += Int64(chunk.count)
                    var offset = 0
                    while offset < chunk.count {
                        let n = write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw HTTPFailure(kind: .sink, description: "write \(path): \(String(cString: strerror(errno)))")
                        }
                        offset += n
                    }
                }
            } catch {
                throw self.error(error, what)
            }
            guard response.isSuccess else { throw error(response, what) }
            try verify(descriptor, digest: Digest(sha256: hasher.finish()), size: size, what: what)
        } catch {
            unlink(path)
            throw error
        }
    }

    private func verify(_ descriptor: ContentDescriptor, digest: Digest, size: Int64, what: String) throws(ImagePullError) {
        guard digest == descriptor.digest else {
            throw error(.digestMismatch,
                        "\(what): the blob arrived with digest \(digest) (\(size) bytes), not the manifest's \(descriptor.digest); the registry's copy is corrupt or the manifest is wrong")
        }
        guard descriptor.size < 0 || descriptor.size == size else {
            throw error(.digestMismatch, "\(what): the blob is \(size) bytes, the manifest says \(descriptor.size)")
        }
    }
}
