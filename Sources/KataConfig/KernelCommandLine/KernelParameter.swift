/// One word of the guest kernel command line: `key=value` or a bare `key`.
///
/// A value may carry double quotes (`dm-mod.create="a b"`); they stay in the
/// word because the kernel needs them to keep the blanks.
public struct KernelParameter: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var key: String
    /// nil for a bare key (`quiet`); may be empty (`key=`).
    public var value: String?

    public init(_ key: String, _ value: String? = nil) {
        self.key = key
        self.value = value
    }

    /// Splits one word at its first `=`.
    public init(word: String) {
        if let equals = word.firstIndex(of: "=") {
            key = String(word[..<equals])
            value = String(word[word.index(after: equals)...])
        } else {
            key = word
            value = nil
        }
    }

    /// The word as it appears on the command line.
    public var description: String {
        value.map { "\(key)=\($0)" } ?? key
    }

    /// Splits a command line into words at blanks, except inside double
    /// quotes (which are kept in the word), as Kata splits `kernel_params`.
    public static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if !quoted && (character == " " || character == "\t" || character == "\n" || character == "\r") {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `words(line)` as parameters.
    public static func parse(_ line: String) -> [KernelParameter] {
        words(line).map(KernelParameter.init(word:))
    }

    /// Kata's override rule for the `kernel_params` annotation: each new
    /// parameter first removes every earlier one with the same key, then is
    /// appended. (Configuration-file parameters are appended without it.)
    public static func override(_ base: [KernelParameter], with overrides: [KernelParameter]) -> [KernelParameter] {
        var result = base
        for parameter in overrides {
            result.removeAll { $0.key == parameter.key }
            result.append(parameter)
        }
        return result
    }
}
