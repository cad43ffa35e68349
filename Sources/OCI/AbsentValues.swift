// The agent protocol is proto3: an empty string, list or zero number is how
// it says "not set", so these map those to nil on the way to JSON.

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

extension Array {
    var nonEmpty: [Element]? { isEmpty ? nil : self }
}

extension BinaryInteger {
    var nonZero: Self? { self == 0 ? nil : self }
}
