/// One parsed file of a configuration: the main file or a drop-in.
struct ConfigurationDocument {
    /// The file as messages name it.
    var name: String
    var entries: [(key: String, value: TOMLNode)]

    /// Parses `text`; a syntax error names the file, line and column.
    init(name: String, text: String) throws(ConfigurationError) {
        self.name = name
        do {
            entries = try TOMLNode.parse(text)
        } catch {
            throw ConfigurationError(
                "\(name): line \(error.line), column \(error.column): invalid TOML: \(error.reason)")
        }
    }
}
