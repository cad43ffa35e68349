import Foundation

/// The package's root directory, from this file's location.
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/Command.swift
    return url.path
}()

/// The result of a finished command.
public struct CommandResult: Sendable {
    public var status: Int32
    public var output: String
    public var succeeded: Bool { status == 0 }
}

public struct CommandError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Finds `name` on PATH (and in the sbin directories, which test shells may lack).
public func which(_ name: String) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Runs a command to completion with stdout and stderr captured together.
/// A missing program is an error that says which Debian package provides it.
@discardableResult
public func run(_ arguments: [String], environment: [String: String]? = nil, input: Data? = nil,
                directory: String? = nil, timeout: TimeInterval = 120, package: String? = nil) throws -> CommandResult {
    guard let executable = arguments[0].hasPrefix("/") ? arguments[0] : which(arguments[0]) else {
        throw CommandError(description: "\(arguments[0]) not found on PATH\(package.map { ": install the Debian package \($0) (.ci/run does)" } ?? "")")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = Array(arguments.dropFirst())
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let stdin = Pipe()
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(input) }
    try stdin.fileHandleForWriting.close()
    let collector = OutputCollector(handle: output.fileHandleForReading)
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
        if Date() > deadline {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CommandError(description: "\(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s; output: \(collector.text)")
        }
        usleep(5_000)
    }
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, output: collector.finish())
}

/// Reads a pipe on its own thread so that a chatty child never blocks on a full pipe.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.lock(); data.append(chunk); lock.unlock()
            }
            done.signal()
        }
    }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    func finish() -> String {
        _ = done.wait(timeout: .now() + 5)
        return text
    }
}

/// A long-running child whose output goes to a file; stopped by its pid.
public final class BackgroundProcess: @unchecked Sendable {
    public let process: Process
    public let logPath: String

    public init(_ arguments: [String], logPath: String, environment: [String: String]? = nil,
                directory: String? = nil, package: String? = nil) throws {
        guard let executable = arguments[0].hasPrefix("/") ? arguments[0] : which(arguments[0]) else {
            throw CommandError(description: "\(arguments[0]) not found on PATH\(package.map { ": install the Debian package \($0) (.ci/run does)" } ?? "")")
        }
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        self.logPath = logPath
        try process.run()
        try log.close()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until `condition` holds on the log (or anything else), up to
    /// `timeout`, sleeping without holding a thread: tests share two
    /// cooperative threads with the servers they talk to.
    public func waitFor(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline {
                throw CommandError(description: "timed out after \(Int(timeout)) s waiting for \(what); log \(logPath):\n\(log.suffix(4000))")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Sends `signal`, then SIGKILL if the process is still there after `grace`.
    public func stop(signal: Int32 = SIGTERM, grace: TimeInterval = 10) {
        guard process.isRunning else { return }
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A fresh directory under /tmp (short, so that unix socket paths fit in 108 bytes).
public func makeTemporaryDirectory(_ prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let dir = mkdtemp(&template) else { throw CommandError(description: "mkdtemp failed: errno \(errno)") }
    return String(cString: dir)
}

import NIOPosix

/// Runs blocking work (waiting for a child process) on NIO's thread pool, so
/// that it never occupies the cooperative threads async servers need.
public enum NIOOffPool {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try body() }
    }
}

/// Runs a command that must succeed and returns its output; a failure throws
/// with the command line, the status and the output.
@discardableResult
public func output(of arguments: [String], environment: [String: String] = [:], directory: String? = nil,
                   timeout: TimeInterval = 300) throws -> String {
    var merged: [String: String]? = nil
    if !environment.isEmpty {
        merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let result = try run(arguments, environment: merged, directory: directory, timeout: timeout)
    guard result.succeeded else {
        throw CommandError(description: "`\(arguments.joined(separator: " "))` exited with \(result.status):\n\(result.output)")
    }
    return result.output
}
