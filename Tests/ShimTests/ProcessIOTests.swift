import Foundation
import NIOConcurrencyHelpers
import Shim
import TestSupport
import Testing

/// A process's stdio on the host, against real FIFOs, files and a logging
/// binary, with the test in containerd's place and an in-memory guest.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ProcessIOTests {
    init() {
        // As the shim's main does: a reader that goes away must not kill us.
        signal(SIGPIPE, SIG_IGN)
    }

    // MARK: FIFOs

    /// 1 MiB of stdout and 256 KiB of stderr in small agent reads reach their
    /// FIFOs whole and in order, and the FIFOs end (our descriptors are
    /// closed) by the time outputDrained returns.
    @Test func outputArrivesInOrderAndCompleteBeforeDrained() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (out, err) = try (Self.fifo(dir, "out"), Self.fifo(dir, "err"))
        let io = try await ProcessIO.open(stdin: "", stdout: out, stderr: err, terminal: false, containerID: "c", namespace: "ns")
        #expect(!io.hasStdin)
        let stdoutData = Self.pattern(1 << 20, seed: 1), stderrData = Self.pattern(256 << 10, seed: 2)
        let guest = FakeStreams()
        guest.stdout.push(stdoutData, chunk: 1000)
        guest.stderr.push(stderrData, chunk: 100)
        guest.stdout.finish()
        guest.stderr.finish()
        let outReader = Self.reader(out)
        let errReader = Self.reader(err)
        io.start(guest)
        await io.outputDrained()
        #expect(guest.stdout.isDrained && guest.stderr.isDrained)
        #expect(await outReader.value == stdoutData)
        #expect(await errReader.value == stderrData)
        await io.close()
        await io.close()
    }

    /// FIFOs nobody reads yet hold the copies back without occupying the
    /// cooperative threads; once read, everything arrives.
    @Test func slowReadersDoNotBlockTheCooperativePool() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var ios: [(ProcessIO, String, [UInt8])] = []
        for index in 0..<4 {
            let out = try Self.fifo(dir, "out\(index)")
            let io = try await ProcessIO.open(stdin: "", stdout: out, stderr: "", terminal: false, containerID: "c", namespace: "ns")
            let data = Self.pattern(512 << 10, seed: UInt8(index))
            let guest = FakeStreams()
            guest.stdout.push(data, chunk: 32 << 10)
            guest.stdout.finish()
            io.start(guest)
            ios.append((io, out, data))
        }
        // The pipes are full now; the pool must still run other work promptly.
        let clock = ContinuousClock()
        let started = clock.now
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(5))
            #expect(await Task.detached { 42 }.value == 42)
        }
        #expect(clock.now - started < .seconds(3))
        for (io, out, data) in ios {
            #expect(await Self.reader(out).value == data)
            await io.outputDrained()
            await io.close()
        }
    }

    /// Bytes written to the stdin FIFO (by a writer that attaches late) reach
    /// WriteStdin in order; CloseIO closes the guest's stdin after them, once.
    @Test func stdinReachesTheGuestThenCloseIOClosesIt() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (input, out) = try (Self.fifo(dir, "in"), Self.fifo(dir, "out"))
        let io = try await ProcessIO.open(stdin: input, stdout: out, stderr: "", terminal: false, containerID: "c", namespace: "ns")
        #expect(io.hasStdin)
        let guest = FakeStreams()
        io.start(guest)
        // No writer yet: that must not read as end of file.
        try await Task.sleep(for: .milliseconds(200))
        #expect(guest.stdinEvents.isEmpty)
        let data = Self.pattern(200 << 10, seed: 3)
        await Self.onThread { Self.writeFIFO(input, data, chunk: 1000) }
        await io.closeStdin()
        await io.closeStdin()
        let events = guest.stdinEvents
        #expect(events.last == .close)
        #expect(events.filter { $0 == .close }.count == 1)
        #expect(events.dropLast().flatMap { event -> [UInt8] in
            if case let .write(bytes) = event { return bytes }
            return []
        } == data)
        #expect(events.dropLast().allSatisfy { if case let .write(bytes) = $0 { bytes.count <= ProcessIO.chunkSize } else { false } })
        let reader = Self.reader(out)
        guest.stdout.push(Array("bye".utf8), chunk: 3)
        guest.stdout.finish()
        await io.outputDrained()
        #expect(await reader.value == Array("bye".utf8))
        await io.close()
    }

    /// As in Kata: when stdout ends, the stdin copy stops even though its
    /// writer is still there, so CloseIO does not wait forever.
    @Test func stdoutEndStopsTheStdinCopy() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (input, out) = try (Self.fifo(dir, "in"), Self.fifo(dir, "out"))
        let io = try await ProcessIO.open(stdin: input, stdout: out, stderr: "", terminal: false, containerID: "c", namespace: "ns")
        let writer = open(input, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        #expect(writer >= 0)
        defer { close(writer) }
        let guest = FakeStreams()
        io.start(guest)
        #expect(write(writer, "hi", 2) == 2)
        guest.stdout.finish()
        await io.outputDrained()
        await io.closeStdin()
        #expect(guest.stdinEvents.last == .close)
        await io.close()
    }

    /// With a terminal the pty merges the streams: stderr is neither opened nor read.
    @Test func terminalHasNoStderr() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (out, err) = try (Self.fifo(dir, "out"), Self.fifo(dir, "err"))
        let io = try await ProcessIO.open(stdin: "", stdout: out, stderr: err, terminal: true, containerID: "c", namespace: "ns")
        #expect(Self.descriptors(under: dir) == [out])
        let guest = FakeStreams()
        guest.stderr.push(Array("never".utf8), chunk: 5)
        let reader = Self.reader(out)
        io.start(guest)
        guest.stdout.push(Array("tty output".utf8), chunk: 4)
        guest.stdout.finish()
        await io.outputDrained()
        #expect(await reader.value == Array("tty output".utf8))
        #expect(guest.stderr.reads == 0)
        await io.close()
    }

    /// Empty strings are streams nobody wants (a pause container has none):
    /// nothing is read, outputDrained returns at once, CloseIO still closes stdin.
    @Test func emptyPathsAreNotCopied() async throws {
        let io = try await ProcessIO.open(stdin: "", stdout: "", stderr: "", terminal: false, containerID: "c", namespace: "ns")
        #expect(!io.hasStdin)
        let guest = FakeStreams()
        io.start(guest)
        await io.outputDrained()
        await io.closeStdin()
        #expect(guest.stdout.reads == 0 && guest.stderr.reads == 0)
        #expect(guest.stdinEvents == [.close])
        await io.close()

        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try Self.fifo(dir, "out")
        let stdoutOnly = try await ProcessIO.open(stdin: "", stdout: out, stderr: "", terminal: false, containerID: "c", namespace: "ns")
        let other = FakeStreams()
        let reader = Self.reader(out)
        stdoutOnly.start(other)
        other.stdout.push(Array("x".utf8), chunk: 1)
        other.stdout.finish()
        await stdoutOnly.outputDrained()
        #expect(await reader.value == Array("x".utf8))
        #expect(other.stderr.reads == 0)
        await stdoutOnly.close()
    }

    /// A FIFO reader that goes away: what still fits in the pipe is left
    /// there, the copy ends with the agent's end of file, and nothing crashes.
    @Test func fifoReaderGoneDoesNotCrash() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try Self.fifo(dir, "out")
        let io = try await ProcessIO.open(stdin: "", stdout: out, stderr: "", terminal: false, containerID: "c", namespace: "ns")
        let guest = FakeStreams()
        io.start(guest)
        guest.stdout.push(Array("first".utf8), chunk: 5)
        #expect(await Self.reader(out, limit: 5).value == Array("first".utf8))
        guest.stdout.push(Self.pattern(16 << 10, seed: 4), chunk: 1000)
        guest.stdout.finish()
        await io.outputDrained()
        #expect(guest.stdout.isDrained)
        await io.close()
    }

    // MARK: file://

    /// Both streams are appended to one file, its directories created; a
    /// second process appends after the first.
    @Test func fileURIAppendsStdoutAndStderr() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = "\(dir)/logs/nested/ctr.log"
        for round in 1...2 {
            let io = try await ProcessIO.open(stdin: "", stdout: "file://\(log)", stderr: "file://\(log)", terminal: false,
                                              containerID: "c", namespace: "ns")
            let guest = FakeStreams()
            io.start(guest)
            // Whole lines per agent read: the streams interleave at read boundaries.
            guest.stdout.push(Array("out-\(round)a\n".utf8), chunk: 7)
            guest.stdout.push(Array("out-\(round)b\n".utf8), chunk: 7)
            guest.stderr.push(Array("err-\(round)\n".utf8), chunk: 6)
            guest.stdout.finish()
            guest.stderr.finish()
            await io.outputDrained()
            await io.close()
        }
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(3)).sorted() == ["err-1", "out-1a", "out-1b"])
        #expect(Array(lines.dropFirst(3)).sorted() == ["err-2", "out-2a", "out-2b"])
        #expect(lines.firstIndex(of: "out-1a")! < lines.firstIndex(of: "out-1b")!)
    }

    // MARK: binary://

    /// The logging binary gets fd 3 and fd 4, the query as arguments, the two
    /// variables as its environment; open waits for its ready signal on fd 5.
    @Test func binaryLoggerReceivesBothStreams() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logger = try Self.loggerScript(dir)
        let uri = "binary://\(logger)?--id=abc&-v&name=a%20b&--id=ignored"
        let clock = ContinuousClock()
        let started = clock.now
        let io = try await ProcessIO.open(stdin: "", stdout: uri, stderr: uri, terminal: false, containerID: "ctr-1", namespace: "k8s.io")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/ready"))
        #expect(clock.now - started >= .milliseconds(250))
        let guest = FakeStreams()
        io.start(guest)
        let stdoutData = Self.pattern(300 << 10, seed: 5), stderrData = Self.pattern(70 << 10, seed: 6)
        guest.stdout.push(stdoutData, chunk: 4096)
        guest.stderr.push(stderrData, chunk: 777)
        guest.stdout.finish()
        guest.stderr.finish()
        await io.outputDrained()
        // The script ignores SIGTERM and ends once both pipes have ended.
        await io.close()
        #expect(FileManager.default.fileExists(atPath: "\(dir)/done"))
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: "\(dir)/stdout"))) == stdoutData)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: "\(dir)/stderr"))) == stderrData)
        let arguments = try String(contentsOfFile: "\(dir)/args", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(arguments == ["ctr-1", "k8s.io", "--id", "abc", "-v", "", "name", "a b", ""])
        let environment = try String(contentsOfFile: "\(dir)/env", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(environment.contains("CONTAINER_ID=ctr-1") && environment.contains("CONTAINER_NAMESPACE=k8s.io"))
        #expect(!environment.contains { $0.hasPrefix("HOME=") })
    }

    /// A logging binary that exits at once: writes fail with EPIPE, the
    /// output is drained from the agent and discarded, nothing crashes.
    @Test func binaryLoggerGoneDoesNotStopTheCopies() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logger = "\(dir)/quits.sh"
        try "#!/bin/sh\nexit 0\n".write(toFile: logger, atomically: true, encoding: .utf8)
        chmod(logger, 0o755)
        let io = try await ProcessIO.open(stdin: "", stdout: "binary://\(logger)", stderr: "binary://\(logger)", terminal: false,
                                          containerID: "c", namespace: "ns")
        let guest = FakeStreams()
        guest.stdout.push(Self.pattern(1 << 20, seed: 7), chunk: 32 << 10)
        guest.stderr.push(Self.pattern(256 << 10, seed: 8), chunk: 1000)
        // Let the binary exit first.
        try await Task.sleep(for: .milliseconds(200))
        io.start(guest)
        guest.stdout.finish()
        guest.stderr.finish()
        await io.outputDrained()
        #expect(guest.stdout.isDrained && guest.stderr.isDrained)
        await io.close()
    }

    /// A logging binary that ignores SIGTERM is killed 12 s after the pipes close.
    @Test func binaryLoggerThatWillNotExitIsKilled() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logger = "\(dir)/stays.sh"
        // The ignored SIGTERM carries over the exec: only SIGKILL ends sleep.
        try "#!/bin/sh\ntrap '' TERM\nexec 5>&-\nexec /bin/sleep 600\n".write(toFile: logger, atomically: true, encoding: .utf8)
        chmod(logger, 0o755)
        let io = try await ProcessIO.open(stdin: "", stdout: "binary://\(logger)", stderr: "", terminal: false,
                                          containerID: "c", namespace: "ns")
        let clock = ContinuousClock()
        let started = clock.now
        await io.close()
        let elapsed = clock.now - started
        #expect(elapsed >= .seconds(12) && elapsed < .seconds(20), "\(elapsed)")
    }

    // MARK: Errors

    @Test func urisParseAsContainerdParsesThem() throws {
        #expect(try StdioURI(parsing: "", field: .stdout) == .none)
        #expect(try StdioURI(parsing: "/run/containerd/fifo/1/c-stdout", field: .stdout) == .fifo(path: "/run/containerd/fifo/1/c-stdout"))
        #expect(try StdioURI(parsing: "/run/a:b", field: .stdout) == .fifo(path: "/run/a:b"))
        #expect(try StdioURI(parsing: "fifo:///run/x", field: .stdin) == .fifo(path: "/run/x"))
        #expect(try StdioURI(parsing: "file:///var/log/a%20b.log", field: .stdout) == .file(path: "/var/log/a b.log"))
        #expect(try StdioURI(parsing: "FILE:/var/log/c.log", field: .stdout) == .file(path: "/var/log/c.log"))
        #expect(try StdioURI(parsing: "binary:///usr/bin/logger?a=1&a=2&b&c=x+y%26z&&bad=%zz", field: .stdout)
            == .binary(path: "/usr/bin/logger", arguments: ["a", "1", "b", "", "c", "x y&z"]))
    }

    /// Each malformed string fails before anything is opened, naming its field and the accepted forms.
    @Test func malformedURIsNameTheField() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try Self.fifo(dir, "out")
        let cases: [(stdin: String, stdout: String, stderr: String, field: StdioURI.Field)] = [
            ("", "xyz://a", "", .stdout),
            ("", "file://host/var/log/x", "", .stdout),
            ("", "file:relative.log", "", .stdout),
            ("", "binary://", "", .stdout),
            ("", "binary:///usr/bin/x%zz", "", .stdout),
            ("", ":nope", "", .stdout),
            ("", "/tmp/a\u{1}b", "", .stdout),
            ("file:///tmp/in", out, "", .stdin),
            ("", out, "binary:///usr/bin/logger", .stderr),
            ("", out, "zzz://x", .stderr),
        ]
        for item in cases {
            do {
                let io = try await ProcessIO.open(stdin: item.stdin, stdout: item.stdout, stderr: item.stderr, terminal: false,
                                                  containerID: "c", namespace: "ns")
                await io.close()
                Issue.record("\(item) was accepted")
            } catch let error as StdioURI.ParseError {
                #expect(error.field == item.field, "\(item)")
                #expect(error.description.contains("invalid \(item.field.rawValue)"))
                #expect(error.description.contains("FIFO path"))
                if item.field != .stdin { #expect(error.description.contains("binary:///")) }
            }
        }
        #expect(Self.descriptors(under: dir).isEmpty)
        do {
            _ = try await ProcessIO.open(stdin: "", stdout: out, stderr: "\(dir)/missing", terminal: false, containerID: "c", namespace: "ns")
            Issue.record("a missing stderr FIFO was accepted")
        } catch let error as ProcessIO.OpenError {
            #expect(error.field == .stderr)
            #expect(error.description.contains("stderr"))
        }
        // The stdout FIFO opened before the failure is closed again.
        #expect(Self.descriptors(under: dir).isEmpty)
    }

    // MARK: Descriptors

    /// Every form, started or not, leaves no descriptor behind once closed.
    @Test func closeReleasesEveryDescriptor() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logger = try Self.loggerScript(dir)
        // The first round starts NIO's and the file writers' threads and descriptors.
        try await Self.everyForm(dir, logger: logger)
        // Other suites open and close descriptors concurrently, so the
        // process-wide count is no measure here: look for ours by path (every
        // FIFO and file that ProcessIO opens is under `dir`).
        for _ in 0..<3 { try await Self.everyForm(dir, logger: logger) }
        #expect(Self.descriptors(under: dir).isEmpty)
    }

    static func everyForm(_ dir: String, logger: String) async throws {
        let (input, out, err) = try (fifo(dir, "in"), fifo(dir, "out"), fifo(dir, "err"))
        defer { for path in [input, out, err] { unlink(path) } }
        // FIFOs, with data both ways.
        let fifos = try await ProcessIO.open(stdin: input, stdout: out, stderr: err, terminal: false, containerID: "c", namespace: "ns")
        let guest = FakeStreams()
        let outReader = Self.reader(out)
        let errReader = Self.reader(err)
        fifos.start(guest)
        await onThread { writeFIFO(input, Array("in".utf8), chunk: 2) }
        await fifos.closeStdin()
        guest.stdout.push(Array("out".utf8), chunk: 3)
        guest.stderr.push(Array("err".utf8), chunk: 3)
        guest.stdout.finish()
        guest.stderr.finish()
        await fifos.outputDrained()
        _ = await (outReader.value, errReader.value)
        await fifos.close()
        // Opened, never started.
        try await ProcessIO.open(stdin: input, stdout: out, stderr: err, terminal: false, containerID: "c", namespace: "ns").close()
        // Closed while the guest still has output coming.
        let early = try await ProcessIO.open(stdin: input, stdout: out, stderr: err, terminal: false, containerID: "c", namespace: "ns")
        early.start(FakeStreams())
        await early.close()
        await early.outputDrained()
        // A log file and a logging binary.
        for uri in ["file://\(dir)/log/c.log", "binary://\(logger)"] {
            let io = try await ProcessIO.open(stdin: "", stdout: uri, stderr: uri, terminal: false, containerID: "c", namespace: "ns")
            let logged = FakeStreams()
            io.start(logged)
            logged.stdout.push(Array("x".utf8), chunk: 1)
            logged.stdout.finish()
            logged.stderr.finish()
            await io.outputDrained()
            await io.close()
        }
    }
}

// MARK: Helpers

extension ProcessIOTests {
    /// The guest side in memory: output the test queues, stdin it records.
    final class FakeStreams: ProcessStreams {
        enum StdinEvent: Equatable, Sendable {
            case write([UInt8])
            case close
        }

        let stdout = ChunkQueue()
        let stderr = ChunkQueue()
        private let events = NIOLockedValueBox<[StdinEvent]>([])

        var stdinEvents: [StdinEvent] { events.withLockedValue { $0 } }

        func readStdout(max: Int) async throws -> [UInt8]? { try await stdout.read(max: max) }
        func readStderr(max: Int) async throws -> [UInt8]? { try await stderr.read(max: max) }
        func writeStdin(_ bytes: [UInt8]) async throws { events.withLockedValue { $0.append(.write(bytes)) } }
        func closeStdin() async throws { events.withLockedValue { $0.append(.close) } }
    }

    /// One output stream of the fake guest: reads wait for data or the end.
    final class ChunkQueue: Sendable {
        private struct State {
            var chunks: [[UInt8]] = []
            var ended = false
            var reads = 0
            var waiter: (max: Int, continuation: CheckedContinuation<[UInt8]?, Never>)?
        }

        private let state = NIOLockedValueBox(State())

        var reads: Int { state.withLockedValue { $0.reads } }
        /// Everything was read, the end of file included.
        var isDrained: Bool { state.withLockedValue { $0.ended && $0.chunks.isEmpty && $0.waiter == nil && $0.reads > 0 } }

        func push(_ bytes: [UInt8], chunk: Int) {
            for start in stride(from: 0, to: bytes.count, by: chunk) {
                let piece = Array(bytes[start..<min(start + chunk, bytes.count)])
                let handoff = state.withLockedValue { state -> (CheckedContinuation<[UInt8]?, Never>, [UInt8])? in
                    state.chunks.append(piece)
                    guard let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return (waiter.continuation, Self.take(from: &state.chunks, max: waiter.max))
                }
                if let (waiter, bytes) = handoff { waiter.resume(returning: bytes) }
            }
        }

        private static func take(from chunks: inout [[UInt8]], max: Int) -> [UInt8] {
            let first = chunks[0]
            if first.count <= max { return chunks.removeFirst() }
            chunks[0] = Array(first[max...])
            return Array(first[..<max])
        }

        func finish() {
            let waiter = state.withLockedValue { state -> CheckedContinuation<[UInt8]?, Never>? in
                state.ended = true
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }
            waiter?.resume(returning: nil)
        }

        func read(max: Int) async throws -> [UInt8]? {
            await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state -> [UInt8]?? in
                    state.reads += 1
                    if !state.chunks.isEmpty { return .some(Self.take(from: &state.chunks, max: max)) }
                    if state.ended { return .some(nil) }
                    state.waiter = (max, continuation)
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    static func directory() throws -> String { try makeTemporaryDirectory("pio") }

    static func fifo(_ dir: String, _ name: String) throws -> String {
        let path = "\(dir)/\(name)"
        guard mkfifo(path, 0o600) == 0 else { throw CommandError(description: "mkfifo \(path): errno \(errno)") }
        return path
    }

    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) &+ seed }
    }

    /// Runs blocking I/O (containerd's end of a FIFO) off the cooperative threads.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    /// containerd's reader of an output FIFO: attached now (the FIFO must
    /// have a writer already, or this reads end of file), then reading to
    /// the end (or `limit` bytes) on a thread.
    static func reader(_ path: String, limit: Int = .max) -> Task<[UInt8], Never> {
        // Non-blocking open, so that attaching never waits; then blocking reads.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd >= 0 { _ = fcntl(fd, F_SETFL, 0) }
        return Task {
            guard fd >= 0 else { return [] }
            return await onThread {
                defer { close(fd) }
                var data: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                while data.count < limit {
                    let n = read(fd, &buffer, min(buffer.count, limit - data.count))
                    if n > 0 { data += buffer[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
                }
                return data
            }
        }
    }

    static func writeFIFO(_ path: String, _ data: [UInt8], chunk: Int) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        for start in stride(from: 0, to: data.count, by: chunk) {
            let end = min(start + chunk, data.count)
            _ = data[start..<end].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }

    /// A logging binary: records its arguments and environment, copies fd 3
    /// and fd 4 to files, signals ready after a pause, ignores SIGTERM.
    static func loggerScript(_ dir: String) throws -> String {
        let path = "\(dir)/logger.sh"
        let script = """
            #!/bin/sh
            PATH=/usr/bin:/bin
            trap '' TERM
            dir='\(dir)'
            printf '%s\\n' "$CONTAINER_ID" "$CONTAINER_NAMESPACE" "$@" > "$dir/args"
            env > "$dir/env"
            cat <&3 > "$dir/stdout" 4<&- 5>&- &
            cat <&4 > "$dir/stderr" 3<&- 5>&- &
            sleep 0.3 5>&-
            : > "$dir/ready"
            exec 5>&- 3<&- 4<&-
            wait
            : > "$dir/done"

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// This process's descriptors on paths under `dir`.
    static func descriptors(under dir: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
            .filter { $0.hasPrefix(dir + "/") }
    }
}
