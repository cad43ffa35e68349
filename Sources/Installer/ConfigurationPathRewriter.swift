/// Points the installed configuration files at the installed guest assets
/// when the prefix is not `/opt/kata`: a quoted value `"/opt/kata/<rel>"`
/// becomes `"<prefix>/<rel>"` when `<rel>` is a file of this installation.
/// Paths to things the installation does not ship (QEMU, virtiofsd) are left
/// as they are, as is every other byte.
public struct ConfigurationPathRewriter: Sendable {
    public let layout: KataLayout
    /// Relative paths of the installed files and symlinks.
    public let installed: Set<String>

    public init(layout: KataLayout, installed: Set<String>) {
        self.layout = layout
        self.installed = installed
    }

    public var isIdentity: Bool { layout.prefix == KataLayout.defaultPrefix }

    /// Whether a source file is one of Kata's configuration files.
    public static func applies(to relativePath: String) -> Bool {
        relativePath.hasPrefix(KataLayout.configurationDirectory + "/") && relativePath.hasSuffix(".toml")
    }

    public func rewrite(_ text: String) -> String {
        guard !isIdentity else { return text }
        let opening = "\"" + KataLayout.defaultPrefix + "/"
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: opening) {
            result += rest[..<start.lowerBound]
            let afterPrefix = rest[start.upperBound...]
            guard let close = afterPrefix.firstIndex(where: { $0 == "\"" || $0 == "\n" }), afterPrefix[close] == "\"",
                  installed.contains(String(afterPrefix[..<close])) else {
                result += rest[start]
                rest = afterPrefix
                continue
            }
            result += "\"" + layout.prefix + "/" + afterPrefix[..<close]
            rest = afterPrefix[close...]
        }
        return result + rest
    }
}

extension Substring {
    /// The first occurrence of `needle` (no Foundation).
    func range(of needle: String) -> Range<Index>? {
        let needleCount = needle.count
        guard needleCount > 0, count >= needleCount else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) {
                return index..<self.index(index, offsetBy: needleCount)
            }
            index = self.index(after: index)
        }
        return nil
    }
}
