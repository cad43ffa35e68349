import CLinux
import Foundation
import NIOCore
import NIOPosix
import Protocols
import SwiftProtobuf
import Testing
@testable import TTRPC

/// A test service: Echo returns its argument with the metadata and deadline it
/// saw; Sleep waits for the given duration; Fail throws what it is asked to.
func makeTestService(name: String = "test.v1.Test") -> TTRPCService {
    var service = TTRPCService(name: name)
    service.addUnary("Echo") { (request: Google_Protobuf_StringValue, context: TTRPCCallContext) in
        let ns = context.metadataValue("containerd-namespace-ttrpc") ?? "-"
        let deadline = context.deadline.map { _ in "deadline" } ?? "none"
        return Google_Protobuf_StringValue(request.value + "|" + ns + "|" + deadline)
    }
    service.addUnary("Sleep") { (request: Google_Protobuf_Duration, _: TTRPCCallContext) in
        try await Task.sleep(nanoseconds: UInt64(request.seconds) * 1_000_000_000 + UInt64(request.nanos))
        return Google_Protobuf_Empty()
    }
    service.addUnary("Fail") { (request: Google_Protobuf_StringValue, _: TTRPCCallContext) -> Google_Protobuf_Empty in
        throw RPCError(.notFound, request.value)
    }
    return service
}

/// A temporary directory for sockets (short: unix paths are limited to 108 bytes).
func makeSocketDirectory() throws -> String {
    var template = Array("/tmp/ttrpc-test-XXXXXX".utf8CString)
    guard let dir = mkdtemp(&template) else { throw POSIXError(.EIO) }
    return String(cString: dir)
}

/// A server on a fresh unix socket, closed and removed by `stop()`.
struct RunningServer {
    let listener: TTRPCListener
    let directory: String
    var path: String { directory + "/ttrpc.sock" }

    static func start(services: [TTRPCService] = [makeTestService()]) async throws -> RunningServer {
        let dir = try makeSocketDirectory()
        let listener = try await TTRPCServer(services: services).listen(on: .unix(path: dir + "/ttrpc.sock"))
        return RunningServer(listener: listener, directory: dir)
    }

    func stop() async throws {
        try await listener.close()
        try FileManager.default.removeItem(atPath: directory)
    }
}

@Suite struct TTRPCServerClientTests {
    @Test func unaryRoundTripCarriesMetadataAndDeadline() async throws {
        let server = try await RunningServer.start()
        let client = try await TTRPCClient.connect(to: .unix(path: server.path))
        let answer = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("hi"),
                                           responseType: Google_Protobuf_StringValue.self, timeout: .seconds(5),
                                           metadata: [("containerd-namespace-ttrpc", "k8s.io")])
        #expect(answer.value == "hi|k8s.io|deadline")
        let noDeadline = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("x"),
                                               responseType: Google_Protobuf_StringValue.self)
        #expect(noDeadline.value == "x|-|none")
        await client.close()
        try await server.stop()
    }

    @Test func socketIsPrivateToItsOwner() async throws {
        let server = try await RunningServer.start()
        let attributes = try FileManager.default.attributesOfItem(atPath: server.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        try await server.stop()
    }

    /// containerd sends `Wait` and keeps calling on the same connection.
    /// (The slow call sleeps 5 s so that a loaded machine still answers the
    /// 20 quick ones first.)
    @Test func pipelinedCallsAnswerOutOfOrder() async throws {
        let server = try await RunningServer.start()
        let client = try await TTRPCClient.connect(to: .unix(path: server.path))
        let slow = Task {
            _ = try await client.call(service: "test.v1.Test", method: "Sleep", request: Google_Protobuf_Duration(seconds: 5, nanos: 0),
                                  responseType: Google_Protobuf_Empty.self)
            return ContinuousClock.now
        }
        try await Task.sleep(nanoseconds: 50_000_000)
        for i in 0..<20 {
            let answer = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("\(i)"),
                                               responseType: Google_Protobuf_StringValue.self)
            #expect(answer.value.hasPrefix("\(i)|"))
        }
        let fastDone = ContinuousClock.now
        let slowDone: ContinuousClock.Instant = try await slow.value
        #expect(fastDone < slowDone)
        await client.close()
        try await server.stop()
    }

    @Test func concurrentCallsOnOneConnection() async throws {
        let server = try await RunningServer.start()
        let client = try await TTRPCClient.connect(to: .unix(path: server.path))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    let answer = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("c\(i)"),
                                                       responseType: Google_Protobuf_StringValue.self)
                    #expect(answer.value == "c\(i)|-|none")
                }
            }
            try await group.waitForAll()
        }
        await client.close()
        try await server.stop()
    }

    @Test func unknownServiceAndMethodAreUnimplemented() async throws {
        let server = try await RunningServer.start()
        let client = try await TTRPCClient.connect(to: .unix(path: server.path))
        await #expect(throws: RPCError(code: .unimplemented, message: "service nope.v1.Nope")) {
            _ = try await client.call(service: "nope.v1.Nope", method: "Echo", payload: Data())
        }
        await #expect(throws: RPCError(code: .unimplemented, message: "method Nope")) {
            _ = try await client.call(service: "test.v1.Test", method: "Nope", payload: Data())
        }
        await client.close()
        try await server.stop()
    }

    @Test func handlerErrorsKeepTheirClassAndMessage() async throws {
        let server = try await RunningServer.start()
        let client = try await TTRPCClient.connect(to: .unix(path: server.path))
        do {
            _ = try await client.call(service: "test.v1.Test", method: "Fail", request: Google_Protobuf_StringValue("container c1"),
                                      responseType: Google_Protobuf_Empty.self)
            Issue.record("expected an error")
        } catch let error as RPCError {
            #expect(error.code == .notFound)
            #expect(error.errorClass == .notFound)
            #expect(error.message == "container c1: not found")
        }
        // A request that does not decode is the caller's fault.
        await #expect(throws: RPCError.self) {
            _ = try await client.call(service: "test.v1.Test", method: "Echo", payload: Data([0xFF, 0xFF, 0xFF]))
        }
        await client.close()
        try await server.stop()
    }

    @Test func clientTimeoutIsDeadlineExceeded() async throws {
        let server = try await RunningServer.start()
        let client = try await TTRPCClient.connect(to: .unix(path: server.path))
        let start = ContinuousClock.now
        do {
            _ = try await client.call(service: "test.v1.Test", method: "Sleep", request: Google_Protobuf_Duration(seconds: 5, nanos: 0),
                                      responseType: Google_Protobuf_Empty.self, timeout: .milliseconds(200))
            Issue.record("expected a timeout")
        } catch let error as RPCError {
            #expect(error.code == .deadlineExceeded)
        }
        #expect(ContinuousClock.now - start < .seconds(2))
        // The connection is still usable after a timed-out call.
        let answer = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("after"),
                                           responseType: Google_Protobuf_StringValue.self)
        #expect(answer.value == "after|-|none")
        await client.close()
        try await server.stop()
    }

    /// The server enforces `timeout_nano` itself, whatever the client does.
    @Test func serverEnforcesTimeoutNano() async throws {
        let server = try await RunningServer.start()
        let raw = try RawConnection(path: server.path)
        var request = Ttrpc_Request()
        request.service = "test.v1.Test"
        request.method = "Sleep"
        request.payload = try Google_Protobuf_Duration(seconds: 10, nanos: 0).serializedBytes()
        request.timeoutNano = 100_000_000
        try raw.send(streamID: 1, type: 1, payload: try request.serializedBytes())
        let (streamID, type, payload) = try await raw.offPool { try $0.receiveFrame() }
        #expect(streamID == 1 && type == 2)
        let response = try Ttrpc_Response(serializedBytes: payload)
        #expect(response.status.code == RPCStatusCode.deadlineExceeded.rawValue)
        raw.close()
        try await server.stop()
    }

    @Test func cancellingTheCallerCancelsTheCall() async throws {
        let server = try await RunningServer.start()
        let client = try await TTRPCClient.connect(to: .unix(path: server.path))
        let call = Task {
            try await client.call(service: "test.v1.Test", method: "Sleep", request: Google_Protobuf_Duration(seconds: 10, nanos: 0),
                                  responseType: Google_Protobuf_Empty.self)
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        let start = ContinuousClock.now
        call.cancel()
        await #expect(throws: RPCError.self) { try await call.value }
        #expect(ContinuousClock.now - start < .seconds(1))
        await client.close()
        try await server.stop()
    }

    @Test func pendingCallsFailWhenTheServerGoesAway() async throws {
        let server = try await RunningServer.start()
        let client = try await TTRPCClient.connect(to: .unix(path: server.path))
        let call = Task {
            try await client.call(service: "test.v1.Test", method: "Sleep", request: Google_Protobuf_Duration(seconds: 10, nanos: 0),
                                  responseType: Google_Protobuf_Empty.self)
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        // Closing the listener leaves accepted connections; close them from the client's peer side.
        try await server.listener.close()
        try await client.channel.close()
        do {
            _ = try await call.value
            Issue.record("expected unavailable")
        } catch let error as RPCError {
            #expect(error.code == .unavailable)
        }
        await #expect(throws: RPCError.self) {
            _ = try await client.call(service: "test.v1.Test", method: "Echo", payload: Data())
        }
        try FileManager.default.removeItem(atPath: server.directory)
    }

    /// A malformed frame closes that connection only; the server goes on serving others.
    @Test(arguments: [
        ("oversized", [UInt8]([0x00, 0x50, 0, 0, 0, 0, 0, 1, 0x01, 0x00])),
        ("unknown type", [UInt8]([0, 0, 0, 0, 0, 0, 0, 1, 0x07, 0x00])),
        ("even stream id", [UInt8]([0, 0, 0, 0, 0, 0, 0, 2, 0x01, 0x00])),
        ("response to a server", [UInt8]([0, 0, 0, 0, 0, 0, 0, 1, 0x02, 0x00])),
        ("garbage protobuf", [UInt8]([0, 0, 0, 3, 0, 0, 0, 1, 0x01, 0x00, 0xFF, 0xFF, 0xFF])),
    ])
    func malformedFrameClosesOnlyItsConnection(name: String, bytes: [UInt8]) async throws {
        let server = try await RunningServer.start()
        let good = try await TTRPCClient.connect(to: .unix(path: server.path))
        let raw = try RawConnection(path: server.path)
        try raw.sendBytes(bytes)
        #expect(try await raw.offPool { try $0.readUntilClosed(timeoutSeconds: 5) }, "\(name): the server should close the connection")
        raw.close()
        let answer = try await good.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue(name),
                                         responseType: Google_Protobuf_StringValue.self)
        #expect(answer.value == name + "|-|none")
        // New connections are still accepted too.
        let fresh = try await TTRPCClient.connect(to: .unix(path: server.path))
        _ = try await fresh.call(service: "test.v1.Test", method: "Echo", payload: Data())
        await fresh.close()
        await good.close()
        try await server.stop()
    }

    @Test func streamIDsMustIncrease() async throws {
        let server = try await RunningServer.start()
        let raw = try RawConnection(path: server.path)
        var request = Ttrpc_Request()
        request.service = "test.v1.Test"
        request.method = "Echo"
        let payload: [UInt8] = try request.serializedBytes()
        try raw.send(streamID: 5, type: 1, payload: payload)
        _ = try await raw.offPool { try $0.receiveFrame() }
        try raw.send(streamID: 3, type: 1, payload: payload)
        #expect(try await raw.offPool { try $0.readUntilClosed(timeoutSeconds: 5) })
        raw.close()
        try await server.stop()
    }

    /// The shim daemon receives its listening socket from `start` as fd 3.
    @Test func servesAnInheritedListeningSocket() async throws {
        let dir = try makeSocketDirectory()
        let path = dir + "/inherited.sock"
        let fd = try RawConnection.listeningSocket(path: path)
        let listener = try await TTRPCServer(services: [makeTestService()]).listen(onInheritedSocket: fd)
        let client = try await TTRPCClient.connect(to: .unix(path: path))
        let answer = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("fd"),
                                           responseType: Google_Protobuf_StringValue.self)
        #expect(answer.value == "fd|-|none")
        await client.close()
        try await listener.close()
        try FileManager.default.removeItem(atPath: dir)
    }

    /// One byte stream, as a virtio-serial port is inside the guest.
    @Test func servesAConnectedStream() async throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        let serverChannel = try await TTRPCServer(services: [makeTestService()]).serve(connectedDescriptor: fds[0])
        let clientChannel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).withConnectedSocket(fds[1]).get()
        let client = try await TTRPCClient.wrapping(clientChannel)
        let answer = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("serial"),
                                           responseType: Google_Protobuf_StringValue.self)
        #expect(answer.value == "serial|-|none")
        await client.close()
        // The server side sees the peer go away, which is its cue to reopen the port.
        try await serverChannel.closeFuture.get()
    }

    /// QEMU's chardev socket serves one host connection at a time; when it drops,
    /// the next call dials again.
    @Test func reconnectingClientDialsAgainAfterThePeerWentAway() async throws {
        let server = try await RunningServer.start()
        let client = ReconnectingTTRPCClient(endpoint: .unix(path: server.path))
        let first: Google_Protobuf_StringValue = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("1"))
        #expect(first.value == "1|-|none")
        // The peer goes away: drop the connection from under the client.
        try await client.client().channel.close()
        try await server.listener.close()
        let restarted = try await TTRPCServer(services: [makeTestService()]).listen(on: .unix(path: server.path))
        let second: Google_Protobuf_StringValue = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("2"))
        #expect(second.value == "2|-|none")
        #expect(await client.connectionCount == 2)
        await client.close()
        try await restarted.close()
        try FileManager.default.removeItem(atPath: server.directory)
    }

    @Test func reconnectingClientReportsAnAbsentPeer() async throws {
        let client = ReconnectingTTRPCClient(endpoint: .unix(path: "/tmp/ttrpc-test-absent/none.sock"))
        do {
            _ = try await client.call(service: "s", method: "m", payload: Data())
            Issue.record("expected unavailable")
        } catch let error as RPCError {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("cannot connect"))
        }
    }
}

/// A blocking socket that writes raw bytes, for frames our client would never send.
/// Its blocking reads run on NIO's thread pool, never on the cooperative pool the
/// server's handlers need.
final class RawConnection: @unchecked Sendable {
    func offPool<T: Sendable>(_ body: @escaping @Sendable (RawConnection) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try body(self) }
    }

    let fd: Int32

    init(path: String) throws {
        fd = cs_unix_connect(path)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: -fd) ?? .EIO) }
    }

    /// A listening unix socket, as `start` hands it to the daemon.
    static func listeningSocket(path: String) throws -> Int32 {
        let fd = cs_unix_listen(path)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: -fd) ?? .EIO) }
        return fd
    }

    func sendBytes(_ bytes: [UInt8]) throws {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw POSIXError(.EIO) }
    }

    func send(streamID: UInt32, type: UInt8, flags: UInt8 = 0, payload: [UInt8]) throws {
        var bytes: [UInt8] = []
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: UInt32(payload.count) >> UInt32(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: streamID >> UInt32(shift))) }
        bytes += [type, flags] + payload
        try sendBytes(bytes)
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            got += n
        }
        return out
    }

    func receiveFrame() throws -> (UInt32, UInt8, [UInt8]) {
        let header = try readExactly(10)
        let length = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        let streamID = header[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (streamID, header[8], try readExactly(length))
    }

    /// True when the peer closes the connection within the timeout.
    func readUntilClosed(timeoutSeconds: Int) throws -> Bool {
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    func close() { _ = Glibc.close(fd) }
}
