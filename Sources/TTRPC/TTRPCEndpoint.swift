import NIOCore
import Protocols
import NIOPosix

/// Where a ttrpc peer listens or is reached.
public enum TTRPCEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A unix path socket (containerd's sockets, a shim's socket, QEMU's virtio-serial chardev).
    case unix(path: String)
    /// AF_VSOCK: the guest agent's production channel (port 1024).
    case vsock(cid: UInt32, port: UInt32)

    /// Parses `unix:///path`, `/path`, and `vsock://CID:PORT`.
    public init(parsing address: String) throws {
        if address.hasPrefix("unix://") {
            self = .unix(path: String(address.dropFirst("unix://".count)))
        } else if address.hasPrefix("/") {
            self = .unix(path: address)
        } else if address.hasPrefix("vsock://") {
            let parts = address.dropFirst("vsock://".count).split(separator: ":")
            guard parts.count == 2, let cid = UInt32(parts[0]), let port = UInt32(parts[1]) else {
                throw RPCError(code: .invalidArgument, message: "bad vsock address \(address): expected vsock://CID:PORT")
            }
            self = .vsock(cid: cid, port: port)
        } else {
            throw RPCError(code: .invalidArgument, message: "unsupported ttrpc address \(address): expected unix://PATH or vsock://CID:PORT")
        }
    }

    public var description: String {
        switch self {
        case let .unix(path): "unix://\(path)"
        case let .vsock(cid, port): "vsock://\(cid):\(port)"
        }
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Frame codec for both sides of a ttrpc connection.
    func addTTRPCFrameCodec() throws {
        try addHandler(ByteToMessageHandler(TTRPCFrameDecoder()))
        try addHandler(MessageToByteHandler(TTRPCFrameEncoder()))
    }
}
