/// A manifest's reference to a blob (or an index's to a manifest): an OCI descriptor.
struct ContentDescriptor {
    var mediaType: String
    var digest: Digest
    var size: Int64
    /// `linux/amd64` for index entries that say.
    var platform: Platform?

    /// Reads a descriptor object; `what` names it in messages ("layer 2").
    init(_ json: JSON, what: String) throws(ImageDocumentError) {
        guard let digestText = json["digest"]?.string else { throw ImageDocumentError("\(what) has no digest") }
        guard let digest = try? Digest(parsing: digestText) else {
            throw ImageDocumentError("\(what) digest \"\(digestText)\" is not sha256:<64 hex digits> (only sha256 is supported)")
        }
        self.digest = digest
        mediaType = json["mediaType"]?.string ?? ""
        size = json["size"]?.integer ?? -1
        if let platform = json["platform"] {
            self.platform = Platform(
                os: platform["os"]?.string ?? "", architecture: platform["architecture"]?.string ?? "",
                variant: platform["variant"]?.string)
        }
    }
}

/// What an index entry runs on.
struct Platform: CustomStringConvertible {
    var os: String
    var architecture: String
    var variant: String?

    var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }
}

/// A manifest, index or config that does not say what it must; the puller adds the image.
struct ImageDocumentError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
