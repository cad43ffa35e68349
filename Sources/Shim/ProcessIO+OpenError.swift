import Glibc

extension ProcessIO {
    /// A stdio destination that could not be opened or started.
    public struct OpenError: Error, CustomStringConvertible, Sendable {
        public var field: StdioURI.Field
        public var path: String
        public var reason: String

        init(_ field: StdioURI.Field, _ path: String, errno code: Int32) {
            self.init(field, path, reason: String(cString: strerror(code)))
        }

        init(_ field: StdioURI.Field, _ path: String, reason: String) {
            self.field = field
            self.path = path
            self.reason = reason
        }

        public var description: String { "cannot open \(field.rawValue) \"\(path)\": \(reason)" }
    }
}
