#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The JSON reading and writing shared by the spec types.
enum OCIJSON {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], source: String) throws(OCIError) -> T {
        guard bytes.contains(where: { !" \t\r\n".utf8.contains($0) }) else {
            throw OCIError(source: source, field: "", reason: "empty")
        }
        let tree: JSONValue
        do {
            tree = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw OCIError(source: source, field: "", reason: "not valid JSON")
        }
        do {
            return try JSONTreeDecoder.unbox(tree, as: type, [])
        } catch let error as DecodingError {
            throw OCIError(error, source: source)
        } catch {
            throw OCIError(source: source, field: "", reason: "\(error)")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }
}
