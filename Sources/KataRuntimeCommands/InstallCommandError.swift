/// An install or uninstall failure as the operator sees it (no usage text).
struct InstallCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
