/// A value that does not fit its key: the message says what was expected.
struct ValueMismatch: Error {
    var expected: String
    /// When set, replaces the default "found <value>" wording.
    var found: String?

    init(expected: String, found: String? = nil) {
        self.expected = expected
        self.found = found
    }
}
