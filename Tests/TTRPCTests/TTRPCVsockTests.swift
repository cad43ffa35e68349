import CLinux
import Foundation
import Protocols
import SwiftProtobuf
import Testing
import TTRPC

/// Whether this machine can make AF_VSOCK connections to itself, and if not, why.
enum VsockLoopback {
    static let port: UInt32 = 10_000 + UInt32(getpid() % 20_000)
    static let probe: (available: Bool, reason: String) = {
        var why = [CChar](repeating: 0, count: 256)
        let ok = cs_vsock_loopback_probe(port, &why, Int32(why.count)) == 1
        return (ok, String(cString: why))
    }()
}

/// The guest agent listens on vsock port 1024. Here a loopback connection is the
/// only way to exercise the transport on the host; the host-to-guest path needs
/// /dev/vhost-vsock, which this kind of host lacks (the virtio-serial transport
/// covers it in the VM tests).
@Suite struct TTRPCVsockTests {
    @Test(.enabled(if: VsockLoopback.probe.available,
                   "AF_VSOCK loopback is unavailable on this host (\(VsockLoopback.probe.reason)); the vsock listener is tested inside the guest, over vsock_loopback"))
    func roundTripOverVsockLoopback() async throws {
        let port = VsockLoopback.port + 1
        let listener = try await TTRPCServer(services: [makeTestService()]).listen(on: .vsock(cid: UInt32.max, port: port))
        let client = try await TTRPCClient.connect(to: .vsock(cid: 1, port: port))
        let answer = try await client.call(service: "test.v1.Test", method: "Echo", request: Google_Protobuf_StringValue("vsock"),
                                           responseType: Google_Protobuf_StringValue.self)
        #expect(answer.value == "vsock|-|none")
        await client.close()
        try await listener.close()
    }

    @Test func vsockAddressesParse() throws {
        #expect(try TTRPCEndpoint(parsing: "vsock://3:1024") == .vsock(cid: 3, port: 1024))
        #expect(try TTRPCEndpoint(parsing: "unix:///run/x.sock") == .unix(path: "/run/x.sock"))
        #expect(throws: RPCError.self) { try TTRPCEndpoint(parsing: "vsock://3") }
        #expect(throws: RPCError.self) { try TTRPCEndpoint(parsing: "tcp://1.2.3.4:5") }
    }
}
