#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An asynchronous QMP event (SHUTDOWN, STOP, GUEST_PANICKED, ...).
public struct QMPEvent: Sendable, Equatable {
    public var name: String
    /// The event's `data` object as JSON text ("{}" when absent).
    public var data: String
}

/// `query-status`.
public struct QMPStatus: Sendable, Decodable, Equatable {
    public var status: String
    public var running: Bool
}

public struct QMPError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(description: String) { self.description = description }
}

/// A QMP client: greeting, `qmp_capabilities`, commands correlated by `id`,
/// and events delivered in order. Messages are JSON objects, one per line.
public final class QMPClient: Sendable {
    struct StateBox {
        var nextID = 1
        var pending: [Int: EventLoopPromise<ByteBuffer>] = [:]
        var closed: QMPError?
    }

    private let channel: any Channel
    private let state: NIOLockedValueBox<StateBox>
    /// Events in arrival order, until the connection closes.
    public let events: AsyncStream<QMPEvent>

    private init(channel: any Channel, state: NIOLockedValueBox<StateBox>, events: AsyncStream<QMPEvent>) {
        self.channel = channel
        self.state = state
        self.events = events
    }

    /// Connects to QEMU's QMP socket, reads the greeting and leaves capability
    /// negotiation mode. Retries the connection until `timeout` (QEMU may not
    /// have created the socket yet); a socket handed to QEMU as a listening fd
    /// accepts at once.
    /// - Parameter giveUp: checked between attempts; true ends the wait (QEMU has exited).
    public static func connect(path: String, timeout: TimeAmount = .seconds(10),
                               giveUp: @Sendable () -> Bool = { false }) async throws -> QMPClient {
        let deadline = NIODeadline.now() + timeout
        var lastError: any Error = QMPError(description: "not tried")
        while NIODeadline.now() < deadline && !giveUp() {
            do {
                return try await connectOnce(path: path, timeout: deadline - .now())
            } catch let error as QMPError {
                throw error
            } catch {
                lastError = error
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        throw QMPError(description: "QMP at \(path): no connection within \(timeout.nanoseconds / 1_000_000) ms: \(lastError)")
    }

    private static func connectOnce(path: String, timeout: TimeAmount) async throws -> QMPClient {
        let state = NIOLockedValueBox(StateBox())
        let (events, continuation) = AsyncStream<QMPEvent>.makeStream()
        let greeting = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: ByteBuffer.self)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(QMPLineDecoder()))
                        try channel.pipeline.syncOperations.addHandler(QMPHandler(state: state, events: continuation, greeting: greeting))
                    }
                }
                .connect(unixDomainSocketPath: path).get()
        } catch {
            // A promise left pending traps in debug builds (QEMU gone before we connected).
            greeting.fail(error)
            continuation.finish()
            throw error
        }
        let client = QMPClient(channel: channel, state: state, events: events)
        let timeoutTask = channel.eventLoop.scheduleTask(in: timeout) {
            greeting.fail(QMPError(description: "QMP at \(path): no greeting within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        defer { timeoutTask.cancel() }
        do {
            _ = try await greeting.futureResult.get()
            _ = try await client.executeRaw("qmp_capabilities")
        } catch {
            try? await channel.close()
            throw error
        }
        return client
    }

    /// Runs `command` and returns its `return` value as JSON bytes.
    public func executeRaw(_ command: String, argumentsJSON: String? = nil) async throws -> ByteBuffer {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let id: Int = try state.withLockedValue { state in
            if let closed = state.closed { throw closed }
            defer { state.nextID += 1 }
            state.pending[state.nextID] = promise
            return state.nextID
        }
        var line = "{\"execute\":\"\(command)\",\"id\":\(id)"
        if let argumentsJSON { line += ",\"arguments\":\(argumentsJSON)" }
        line += "}\n"
        channel.writeAndFlush(channel.allocator.buffer(string: line), promise: nil)
        return try await promise.futureResult.get()
    }

    /// Runs `command` and decodes its `return` value.
    public func execute<Result: Decodable>(_ command: String, argumentsJSON: String? = nil, returning: Result.Type) async throws -> Result {
        let bytes = try await executeRaw(command, argumentsJSON: argumentsJSON)
        do {
            return try JSONDecoder().decode(Result.self, from: Data(bytes.readableBytesView))
        } catch {
            throw QMPError(description: "QMP \(command): unexpected answer \(String(buffer: bytes)): \(error)")
        }
    }

    public func queryStatus() async throws -> QMPStatus {
        try await execute("query-status", returning: QMPStatus.self)
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Splits the stream at newlines (QMP ends each message with CRLF).
struct QMPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    /// A greeting or answer is small; a runaway line means a broken peer.
    static let maximumLine = 1 << 20

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLine { throw QMPError(description: "QMP line longer than \(Self.maximumLine) bytes") }
            return .needMoreData
        }
        let line = buffer.readSlice(length: newline - buffer.readerIndex + 1)!
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

/// Routes answers to their commands and events to the stream.
final class QMPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private struct Envelope: Decodable {
        struct ErrorBody: Decodable { var `class`: String?; var desc: String? }
        var QMP: AnyDecodable?
        var id: Int?
        var error: ErrorBody?
        var event: String?
    }
    /// Accepts any JSON value (we only look at which keys are present).
    private struct AnyDecodable: Decodable { init(from decoder: any Decoder) throws {} }

    private let state: NIOLockedValueBox<QMPClient.StateBox>
    private let events: AsyncStream<QMPEvent>.Continuation
    private let greeting: EventLoopPromise<ByteBuffer>
    private var greeted = false

    init(state: NIOLockedValueBox<QMPClient.StateBox>, events: AsyncStream<QMPEvent>.Continuation, greeting: EventLoopPromise<ByteBuffer>) {
        self.state = state
        self.events = events
        self.greeting = greeting
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        let bytes = Data(line.readableBytesView)
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: bytes) else { return }
        if envelope.QMP != nil, !greeted {
            greeted = true
            greeting.succeed(line)
            return
        }
        if let event = envelope.event {
            events.yield(QMPEvent(name: event, data: Self.member("data", of: line) ?? "{}"))
            return
        }
        guard let id = envelope.id, let promise = state.withLockedValue({ $0.pending.removeValue(forKey: id) }) else { return }
        if let error = envelope.error {
            promise.fail(QMPError(description: "\(error.class ?? "Error"): \(error.desc ?? "")"))
        } else {
            var value = ByteBufferAllocator().buffer(capacity: 0)
            value.writeString(Self.member("return", of: line) ?? "{}")
            promise.succeed(value)
        }
    }

    /// The JSON text of a top-level member (QEMU's answers are compact JSON).
    static func member(_ key: String, of line: ByteBuffer) -> String? {
        let text = String(buffer: line)
        guard let start = text.firstRange(of: "\"\(key)\":") else { return nil }
        var depth = 0
        var inString = false
        var escaped = false
        var end = start.upperBound
        var index = start.upperBound
        while index < text.endIndex {
            let c = text[index]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "{" || c == "[" {
                depth += 1
            } else if c == "}" || c == "]" {
                if depth == 0 { end = index; break }
                depth -= 1
            } else if c == "," && depth == 0 {
                end = index
                break
            }
            index = text.index(after: index)
            end = index
        }
        return String(text[start.upperBound..<end]).trimmingCharacters(in: " ")
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = QMPError(description: "QMP connection closed")
        let pending = state.withLockedValue { state -> [EventLoopPromise<ByteBuffer>] in
            state.closed = error
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for promise in pending { promise.fail(error) }
        if !greeted { greeting.fail(error) }
        events.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.first == character || s.first == "\r" || s.first == "\n" { s.removeFirst() }
        while s.last == character || s.last == "\r" || s.last == "\n" { s.removeLast() }
        return String(s)
    }
}
