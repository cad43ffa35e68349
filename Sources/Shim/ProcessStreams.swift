/// The guest side of one process's stdio: the agent's stream RPCs for a
/// container id and exec id (ReadStdout, ReadStderr, WriteStdin, CloseStdin).
public protocol ProcessStreams: Sendable {
    /// Up to `max` bytes of the process's stdout (its terminal with a pty); nil at the end.
    func readStdout(max: Int) async throws -> [UInt8]?
    /// Up to `max` bytes of the process's stderr; nil at the end.
    func readStderr(max: Int) async throws -> [UInt8]?
    /// Writes `bytes` to the process's stdin.
    func writeStdin(_ bytes: [UInt8]) async throws
    /// Closes the process's stdin: it reads end of file once the written bytes are consumed.
    func closeStdin() async throws
}
