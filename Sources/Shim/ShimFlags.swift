/// The shim's command line, parsed as Go's `flag` package does (containerd
/// passes `-namespace ns -address a -publish-binary b -id x [-debug] start`;
/// `--flag`, `-flag=value` and `--flag=value` are accepted too).
public struct ShimFlags: Sendable, Equatable {
    public enum Action: String, Sendable {
        case start, delete, serve, info, version, help
    }

    public var namespace = ""
    public var id = ""
    public var address = ""
    public var publishBinary = ""
    public var bundle = ""
    public var socket = ""
    public var debug = false
    public var action: Action = .serve

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// What `-help` prints (containerd never asks; operators do).
    public static let usage = """
        usage: containerd-shim-kata-v2 -namespace NS -id ID -address CONTAINERD_SOCKET [-publish-binary PATH] [-debug] start|delete
               containerd-shim-kata-v2 -info | -v | -help
        containerd runs this binary for runtime type io.containerd.kata.v2: `start` answers the shim's
        address (starting the shim server if needed), `delete` cleans up after a dead shim, and without
        an action the binary serves containerd's Task API on descriptor 3 (or -socket PATH).
        """

    static let valueFlags: Set<String> = ["namespace", "id", "address", "publish-binary", "bundle", "socket"]

    public init(_ arguments: [String]) throws {
        var rest = arguments[...]
        var positional: [String] = []
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("-"), argument != "-", argument != "--" else {
                positional.append(argument)
                continue
            }
            var name = String(argument.drop { $0 == "-" })
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            switch name {
            case "debug":
                debug = value.map { $0 == "true" || $0 == "1" } ?? true
            case "v", "version":
                action = .version
            case "info":
                action = .info
            case "h", "help":
                action = .help
            case _ where Self.valueFlags.contains(name):
                guard let given = value ?? rest.popFirst() else {
                    throw Invalid(description: "flag needs an argument: -\(name)")
                }
                switch name {
                case "namespace": namespace = given
                case "id": id = given
                case "address": address = given
                case "publish-binary": publishBinary = given
                case "bundle": bundle = given
                default: socket = given
                }
            default:
                throw Invalid(description: "flag provided but not defined: -\(name)")
            }
        }
        if action == .version || action == .info || action == .help { return }
        switch positional.first {
        case nil: action = .serve
        case "start": action = .start
        case "delete": action = .delete
        case let other?: throw Invalid(description: "unknown action \(other): expected start or delete (or none, to serve)")
        }
        guard !namespace.isEmpty else { throw Invalid(description: "shim namespace cannot be empty: pass -namespace") }
        guard !id.isEmpty || action == .serve else { throw Invalid(description: "shim id cannot be empty: pass -id") }
    }
}
