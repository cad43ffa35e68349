#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Protocols
import SwiftProtobuf

/// What containerd wrote on the shim's stdin for `start` (or `-info`), in any
/// of its forms: nothing; the runtime options as a `google.protobuf.Any`
/// (1.6 to 2.2); or a `BootstrapParams` (2.3), whose options travel in an
/// extension. The forms are told apart the way they differ on the wire: in
/// BootstrapParams field 1 is the task id, in an Any it is a type URL.
public enum StartInput: Sendable, Equatable {
    case empty
    case options(Runtimeoptions_V1_Options?)
    case bootstrap(Containerd_Runtime_Bootstrap_V1_BootstrapParams, options: Runtimeoptions_V1_Options?)

    public struct Malformed: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    static let optionsTypeURLs: Set<String> = [
        "runtimeoptions.v1.Options",
        "type.googleapis.com/runtimeoptions.v1.Options",
        "types.containerd.io/runtimeoptions.v1.Options",
    ]

    /// Decodes stdin. `taskID` is the `-id` flag, which tells BootstrapParams apart.
    public init(stdin bytes: [UInt8], taskID: String) throws {
        guard !bytes.isEmpty else { self = .empty; return }
        if let params = try? Containerd_Runtime_Bootstrap_V1_BootstrapParams(serializedBytes: bytes),
           !params.instanceID.isEmpty, params.instanceID == taskID {
            let options = try params.extensions.lazy.compactMap { try Self.options(from: $0.value) }.first
            self = .bootstrap(params, options: options)
            return
        }
        let any: Google_Protobuf_Any
        do {
            any = try Google_Protobuf_Any(serializedBytes: bytes)
        } catch {
            throw Malformed(description: "stdin (\(bytes.count) bytes) is neither runtime options (google.protobuf.Any) nor BootstrapParams: \(error)")
        }
        self = .options(try Self.options(from: any))
    }

    /// The runtime options in `any`, nil for another type (runc's options:
    /// containerd sends what the handler configures; only ours matter).
    static func options(from any: Google_Protobuf_Any) throws -> Runtimeoptions_V1_Options? {
        guard optionsTypeURLs.contains(any.typeURL) else { return nil }
        do {
            return try Runtimeoptions_V1_Options(serializedBytes: any.value)
        } catch {
            throw Malformed(description: "runtime options (\(any.typeURL)) do not decode: \(error)")
        }
    }

    /// The runtime options, whichever form carried them.
    public var runtimeOptions: Runtimeoptions_V1_Options? {
        switch self {
        case .empty: nil
        case let .options(options): options
        case let .bootstrap(_, options): options
        }
    }

    /// The socket directory containerd asks for (2.3), else the default.
    public var socketDirectory: String {
        if case let .bootstrap(params, _) = self, params.hasSocketDir, !params.socketDir.isEmpty { return params.socketDir }
        return ShimSocketAddress.defaultSocketDirectory
    }

    /// What `start` prints: containerd 2.3 (which sent BootstrapParams) reads a
    /// BootstrapResult; 1.6 reads only a plain address (it would dial a JSON
    /// answer as an abstract socket name), and 1.7 to 2.2 accept it too.
    /// Version 3 makes 2.x call the `containerd.task.v3.Task` service; the
    /// shim serves both names on the same handlers.
    public func answer(for address: ShimSocketAddress) throws -> [UInt8] {
        switch self {
        case .bootstrap:
            var result = Containerd_Runtime_Bootstrap_V1_BootstrapResult()
            result.version = 3
            result.address = address.description
            result.protocol = "ttrpc"
            return try result.serializedBytes()
        case .empty, .options:
            return Array(address.description.utf8)
        }
    }
}
