/// Why an installation or uninstallation was refused or failed: the file or
/// option concerned and what to do about it, ready to show to an operator.
public struct InstallerError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
