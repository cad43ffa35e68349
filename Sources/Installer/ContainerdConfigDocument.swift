import TOMLKit

/// containerd's config.toml as read (never re-serialized): its bytes, and
/// what a parse says about its schema version and its runtime handlers.
struct ContainerdConfigDocument {
    /// Where the file is, as the operator named it (for messages).
    let path: String
    let text: String
    let table: TOMLTable

    /// Parses `text`; a syntax error names the file, line and column.
    init(path: String, text: String, role: String = "") throws(InstallerError) {
        self.path = path
        self.text = text
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw InstallerError("\(path)\(role): line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw InstallerError("\(path)\(role): \(error)")
        }
    }

    /// No keys at all: missing, empty, or only comments and blank lines.
    var isEmpty: Bool { table.isEmpty }

    /// The schema, from the top-level `version`; containerd reads a file with
    /// keys but no `version` as its version 1 schema, which has no place for
    /// these tables.
    func version() throws(InstallerError) -> ContainerdConfigVersion {
        guard let value = table["version"] else {
            throw InstallerError("""
                \(path): has no top-level `version` key, so containerd reads it as its version 1 schema, \
                which kata-runtime install does not edit. Convert it first: `containerd config migrate` (containerd 1.7+/2.x) \
                prints it as the current version, or start from `containerd config default` (it has `version = 2`) \
                and carry your settings over; then run kata-runtime install again.
                """)
        }
        guard let number = value.int, let version = ContainerdConfigVersion(rawValue: number) else {
            throw InstallerError("\(path): `version = \(value.debugDescription)` is not a containerd config version this installer writes (2 for containerd 1.6/1.7, 3 for containerd 2.x)")
        }
        return version
    }

    /// Whether the file defines `handler`'s table (in `version`'s place for it).
    func definesHandler(_ handler: RuntimeHandler, version: ContainerdConfigVersion) -> Bool {
        var current: TOMLTable = table
        for key in version.runtimesKeyPath {
            guard let next = current[key]?.table else { return false }
            current = next
        }
        return current[handler.name] != nil
    }
}
