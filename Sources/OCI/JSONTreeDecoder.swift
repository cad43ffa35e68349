/// Decodes a `Decodable` from a `JSONValue`, as Go's encoding/json would:
/// unknown keys are ignored, integers must fit their type exactly. Every
/// error carries the coding path of the value at fault.
struct JSONTreeDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// An array position in a coding path.
    struct IndexKey: CodingKey {
        let intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw Self.mismatch([String: Any].self, "an object", value, codingPath)
        }
        return KeyedDecodingContainer(Keyed<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else {
            throw Self.mismatch([Any].self, "an array", value, codingPath)
        }
        return Unkeyed(array: array, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        Single(value: value, codingPath: codingPath)
    }

    static func mismatch(_ type: Any.Type, _ expected: String, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(expected), found \(value.summary)"))
    }

    /// Primitives by hand (their `init(from:)` would ask for a single-value
    /// container and come back here); everything else through its own
    /// `init(from:)`.
    static func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, _ path: [any CodingKey]) throws -> T {
        switch type {
        case is String.Type:
            guard case .string(let string) = value else { throw mismatch(type, "a string", value, path) }
            return string as! T
        case is Bool.Type:
            guard case .bool(let bool) = value else { throw mismatch(type, "true or false", value, path) }
            return bool as! T
        case is Double.Type: return try number(value, path) as! T
        case is Float.Type: return Float(try number(value, path)) as! T
        case is Int.Type: return try integer(value, Int.self, path) as! T
        case is Int8.Type: return try integer(value, Int8.self, path) as! T
        case is Int16.Type: return try integer(value, Int16.self, path) as! T
        case is Int32.Type: return try integer(value, Int32.self, path) as! T
        case is Int64.Type: return try integer(value, Int64.self, path) as! T
        case is UInt.Type: return try integer(value, UInt.self, path) as! T
        case is UInt8.Type: return try integer(value, UInt8.self, path) as! T
        case is UInt16.Type: return try integer(value, UInt16.self, path) as! T
        case is UInt32.Type: return try integer(value, UInt32.self, path) as! T
        case is UInt64.Type: return try integer(value, UInt64.self, path) as! T
        default: return try T(from: JSONTreeDecoder(value: value, codingPath: path))
        }
    }

    static func number(_ value: JSONValue, _ path: [any CodingKey]) throws -> Double {
        switch value {
        case .integer(let number): Double(number)
        case .unsigned(let number): Double(number)
        case .double(let number): number
        default: throw mismatch(Double.self, "a number", value, path)
        }
    }

    static func integer<T: FixedWidthInteger>(_ value: JSONValue, _ type: T.Type, _ path: [any CodingKey]) throws -> T {
        let result: T?
        switch value {
        case .integer(let number): result = T(exactly: number)
        case .unsigned(let number): result = T(exactly: number)
        case .double(let number): result = T(exactly: number)
        default: throw mismatch(type, "an integer", value, path)
        }
        guard let result else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: path, debugDescription: "expected an integer from \(T.min) to \(T.max), found \(value.summary)"))
        }
        return result
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let object: [String: JSONValue]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

        private func value(_ key: Key) throws -> JSONValue {
            guard let value = object[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            if case .null = try value(key) { return true }
            return false
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try JSONTreeDecoder.unbox(try value(key), as: type, codingPath + [key])
        }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type, key) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type, key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type, key) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type, key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type, key) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type, key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type, key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type, key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type, key) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type, key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type, key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type, key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type, key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type, key) }
        private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
            try JSONTreeDecoder.unbox(try value(key), as: type, codingPath + [key])
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try JSONTreeDecoder(value: try value(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try JSONTreeDecoder(value: try value(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> any Decoder {
            JSONTreeDecoder(value: .object(object), codingPath: codingPath)
        }
        func superDecoder(forKey key: Key) throws -> any Decoder {
            JSONTreeDecoder(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let array: [JSONValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(array: [JSONValue], codingPath: [any CodingKey]) {
            self.array = array
            self.codingPath = codingPath
        }

        var count: Int? { array.count }
        var isAtEnd: Bool { currentIndex >= array.count }

        private mutating func next() throws -> (JSONValue, [any CodingKey]) {
            let path = codingPath + [IndexKey(intValue: currentIndex)]
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: path, debugDescription: "past the end of the array"))
            }
            defer { currentIndex += 1 }
            return (array[currentIndex], path)
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, case .null = array[currentIndex] else { return false }
            currentIndex += 1
            return true
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type) }
        mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type) }
        mutating func decode(_ type: String.Type) throws -> String { try next(type) }
        mutating func decode(_ type: Double.Type) throws -> Double { try next(type) }
        mutating func decode(_ type: Float.Type) throws -> Float { try next(type) }
        mutating func decode(_ type: Int.Type) throws -> Int { try next(type) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type) }
        private mutating func next<T: Decodable>(_ type: T.Type) throws -> T {
            let (value, path) = try next()
            return try JSONTreeDecoder.unbox(value, as: type, path)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let (value, path) = try next()
            return try JSONTreeDecoder(value: value, codingPath: path).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let (value, path) = try next()
            return try JSONTreeDecoder(value: value, codingPath: path).unkeyedContainer()
        }
        mutating func superDecoder() throws -> any Decoder {
            let (value, path) = try next()
            return JSONTreeDecoder(value: value, codingPath: path)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let value: JSONValue
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool {
            if case .null = value { return true }
            return false
        }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONTreeDecoder.unbox(value, as: type, codingPath)
        }
        func decode(_ type: Bool.Type) throws -> Bool { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: String.Type) throws -> String { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: Double.Type) throws -> Double { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: Float.Type) throws -> Float { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: Int.Type) throws -> Int { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: Int8.Type) throws -> Int8 { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: Int16.Type) throws -> Int16 { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: Int32.Type) throws -> Int32 { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: Int64.Type) throws -> Int64 { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: UInt.Type) throws -> UInt { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try JSONTreeDecoder.unbox(value, as: type, codingPath) }
    }
}
