/// Why a `cc_init_data` annotation was refused; the message reads after the
/// annotation's name (`annotation ...cc_init_data <message>`).
public struct InitDataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
