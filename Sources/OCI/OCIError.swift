/// A JSON document that does not decode: which one, which field, and why.
public struct OCIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The document: "config.json", "process JSON"...
    public var source: String
    /// The field in JSON path form (`linux.namespaces[2].type`,
    /// `annotations["io.kubernetes.cri.sandbox-id"]`); empty for the document itself.
    public var field: String
    public var reason: String

    public init(source: String, field: String, reason: String) {
        self.source = source
        self.field = field
        self.reason = reason
    }

    public var description: String {
        field.isEmpty ? "\(source): \(reason)" : "\(source): \(field): \(reason)"
    }

    init(_ error: DecodingError, source: String) {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            self.init(source: source, field: Self.path(context.codingPath), reason: context.debugDescription)
        case .keyNotFound(let key, let context):
            self.init(source: source, field: Self.path(context.codingPath + [key]), reason: "missing")
        @unknown default:
            self.init(source: source, field: "", reason: "\(error)")
        }
    }

    /// `linux.namespaces[2].type`; keys that are not plain names are quoted.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key as? JSONTreeDecoder.IndexKey {
                text += "[\(index.intValue ?? 0)]"
            } else if !key.stringValue.isEmpty, key.stringValue.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            } else {
                text += "[\"\(key.stringValue)\"]"
            }
        }
        return text
    }
}
