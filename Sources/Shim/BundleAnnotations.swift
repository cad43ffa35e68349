#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Files

/// The annotations of a bundle's `config.json`: all that `start` and `delete`
/// need of the spec (which shim a task belongs to, whose VM to clean up).
enum BundleAnnotations {
    private struct Spec: Decodable { var annotations: [String: String]? }

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    static func read(bundle: String) throws -> [String: String] {
        let path = bundle + "/config.json"
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            throw Unreadable(description: "\(error): is -bundle (or the working directory) a containerd bundle?")
        }
        do {
            return try JSONDecoder().decode(Spec.self, from: Data(bytes)).annotations ?? [:]
        } catch {
            throw Unreadable(description: "\(path) is not an OCI spec: \(error)")
        }
    }
}
