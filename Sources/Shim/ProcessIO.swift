#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NIOConcurrencyHelpers

/// The host side of one process's stdio, as Kata's Go shim runs it: the
/// strings containerd gave in Create or Exec (see `StdioURI`) are opened, and
/// once the process runs its output is copied from the agent's ReadStdout /
/// ReadStderr to them, and containerd's stdin to WriteStdin.
///
/// Output FIFOs are opened read-write, so that opening never waits and writes
/// are valid before containerd's reader attaches; a slow reader holds the
/// copy back (and so the process) without holding a thread. As with Kata and
/// runc, a FIFO reader that left looks like a slow one until `close()`. A
/// reader that goes away from a pipe (EPIPE, a logging binary that exited;
/// the shim ignores SIGPIPE) does not stop the copy: the output is read from
/// the agent and discarded. Stdin is a FIFO whatever form stdout has.
public final class ProcessIO: Sendable {
    /// Kata's copy buffer: the most one agent read asks for.
    public static let chunkSize = 32 * 1024

    /// Whether containerd gave a stdin. Without one the caller closes the
    /// guest's stdin at once.
    public let hasStdin: Bool

    let parts: Parts
    let stdinEnded = Latch()
    let outputEnded = Latch()
    private let closed = Latch()
    let state = NIOLockedValueBox(State())

    struct State {
        var streams: (any ProcessStreams)?
        var copies: [Task<Void, Never>] = []
        var outputsRunning = 0
        var closing = false
        var guestStdinClosed = false
    }

    /// What `open` opened; closed together.
    struct Parts: Sendable {
        var stdin: StdinSource?
        var stdout: (any OutputSink)?
        var stderr: (any OutputSink)?
        var logger: BinaryLogger?

        func closeDescriptors() async {
            await stdin?.close()
            await stdout?.close()
            await stderr?.close()
        }
    }

    private init(_ parts: Parts) {
        self.parts = parts
        self.hasStdin = parts.stdin != nil
    }

    /// Opens a process's stdio before it starts; for `binary://` the logging
    /// binary is started and ready when this returns.
    /// - Parameters:
    ///   - stdin, stdout, stderr: the request's strings; stdout decides the form.
    ///   - terminal: the process has a pty, which merges stderr into stdout: stderr is not used.
    ///   - containerID, namespace: `CONTAINER_ID` and `CONTAINER_NAMESPACE` for a logging binary.
    /// - Throws: `StdioURI.ParseError` or `ProcessIO.OpenError`, naming the field.
    public static func open(stdin: String, stdout: String, stderr: String, terminal: Bool,
                            containerID: String, namespace: String) async throws -> ProcessIO {
        let stdinURI = try StdioURI(parsing: stdin, field: .stdin)
        let stdoutURI = try StdioURI(parsing: stdout, field: .stdout)
        let stderrURI = try StdioURI(parsing: stderr, field: .stderr)
        if stdinURI.isLog {
            throw StdioURI.ParseError(field: .stdin, value: stdin, reason: "stdin is read from a FIFO only")
        }
        if stderrURI.isLog && !stdoutURI.isLog {
            throw StdioURI.ParseError(field: .stderr, value: stderr,
                                      reason: "a log URI applies to both streams and is taken from stdout, which is a FIFO here")
        }
        let copiesStderr = !terminal && !stderr.isEmpty
        var parts = Parts()
        do {
            if case let .fifo(path) = stdinURI {
                parts.stdin = try await openStdin(path)
            }
            switch stdoutURI {
            case .none:
                break
            case let .fifo(path):
                parts.stdout = try await openOutput(path, field: .stdout)
            case let .file(path):
                try makeParentDirectory(of: path)
                // Two descriptors on one file: O_APPEND keeps each write whole.
                parts.stdout = try openFile(path, create: true, field: .stdout)
                if copiesStderr { parts.stderr = try openFile(path, create: true, field: .stderr) }
            case let .binary(path, arguments):
                let started = try await BinaryLogger.start(path: path, arguments: arguments,
                                                           containerID: containerID, namespace: namespace)
                parts.logger = started.logger
                if !copiesStderr { Glibc.close(started.stderr) }
                do {
                    parts.stdout = try await PipeSink.start(writing: started.stdout)
                } catch {
                    if copiesStderr { Glibc.close(started.stderr) }
                    throw OpenError(.stdout, path, reason: "\(error)")
                }
                if copiesStderr { parts.stderr = try await PipeSink.start(writing: started.stderr) }
            }
            if !stdoutURI.isLog, copiesStderr, case let .fifo(path) = stderrURI {
                parts.stderr = try await openOutput(path, field: .stderr)
            }
        } catch {
            await parts.closeDescriptors()
            await parts.logger?.terminate()
            throw error
        }
        return ProcessIO(parts)
    }

    /// Starts the copies between the opened stdio and the process's streams
    /// in the guest (once; not after `close()`).
    public func start(_ streams: any ProcessStreams) {
        let outputs = (parts.stdout == nil ? 0 : 1) + (parts.stderr == nil ? 0 : 1)
        let starting = state.withLockedValue { state -> Bool in
            guard state.streams == nil, !state.closing else { return false }
            state.streams = streams
            state.outputsRunning = outputs
            return true
        }
        guard starting else { return }
        if parts.stdin == nil { stdinEnded.fire() }
        if outputs == 0 { outputEnded.fire() }
        var copies: [Task<Void, Never>] = []
        if let sink = parts.stdout {
            copies.append(Task { await self.copyOutput(to: sink, endsStdin: true) { try await streams.readStdout(max: $0) } })
        }
        if let sink = parts.stderr {
            copies.append(Task { await self.copyOutput(to: sink, endsStdin: false) { try await streams.readStderr(max: $0) } })
        }
        if let source = parts.stdin {
            copies.append(Task { await self.copyStdin(from: source, to: streams) })
        }
        let closing = state.withLockedValue { state -> Bool in
            state.copies = copies
            return state.closing
        }
        if closing { copies.forEach { $0.cancel() } }
    }

    /// Returns once the stdout and stderr copies have ended: the agent said
    /// end of file or failed (the VM died), or `close()` was called. Report
    /// the process's exit after this, so that no output is lost.
    public func outputDrained() async {
        await outputEnded.wait()
    }

    /// CloseIO: waits until the stdin copy has read containerd's stdin to its
    /// end and written it to the guest, then closes the guest's stdin (once).
    /// Before `start` there is nothing to close.
    public func closeStdin() async {
        guard let streams = state.withLockedValue({ $0.streams }) else { return }
        await stdinEnded.wait()
        await closeGuestStdin(streams)
    }

    /// Closes the guest's stdin once, whoever asks first (CloseIO, or the end of containerd's stdin).
    func closeGuestStdin(_ streams: any ProcessStreams) async {
        let first = state.withLockedValue { state -> Bool in
            defer { state.guestStdinClosed = true }
            return !state.guestStdinClosed
        }
        if first { try? await streams.closeStdin() }
    }

    /// Ends the copies and closes every descriptor opened; a logging binary
    /// gets SIGTERM and up to 12 s to exit before SIGKILL. Idempotent.
    public func close() async {
        let copies = state.withLockedValue { state -> [Task<Void, Never>]? in
            guard !state.closing else { return nil }
            state.closing = true
            return state.copies
        }
        guard let copies else {
            await closed.wait()
            return
        }
        for copy in copies { copy.cancel() }
        await parts.closeDescriptors()
        stdinEnded.fire()
        outputEnded.fire()
        await parts.logger?.terminate()
        closed.fire()
    }
}
