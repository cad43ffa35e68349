import CLinux
import Glibc
import TTRPC

/// The transport failed (no answer, a truncated or garbled one): the socket is
/// dropped and the next request opens a fresh one.
struct NetlinkTransportError: Error, CustomStringConvertible {
    var description: String
}

/// The kernel refused a request: its errno, and the extended-ACK text when
/// the kernel gave one (e.g. "Nexthop has invalid gateway").
struct NetlinkKernelError: Error, CustomStringConvertible {
    var code: Int32
    var kernelMessage: String?

    var description: String {
        var text = "\(Self.text(code)) (errno \(code))"
        if let kernelMessage, !kernelMessage.isEmpty { text += ": \(kernelMessage)" }
        return text
    }

    /// The gRPC class an errno maps to.
    var errorClass: ErrorClass {
        switch code {
        case EINVAL, ERANGE, EAFNOSUPPORT: .invalidArgument
        case EEXIST: .alreadyExists
        case ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL: .notFound
        case EPERM, EACCES: .permissionDenied
        default: .internal
        }
    }
}

extension NetlinkKernelError {
    /// strerror(3) of `code`.
    static func text(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// A NETLINK_ROUTE socket that sends one request at a time and reads its
/// answer. Blocking: callers run it off Swift's cooperative pool. Not
/// thread-safe: NetworkManager uses it under its lock only.
final class RtnetlinkSocket: @unchecked Sendable {
    private let fd: Int32
    private var sequence: UInt32
    private var buffer: [UInt8]
    /// Set when the transport failed; the owner then replaces the socket.
    private(set) var isBroken = false

    /// A dump larger than this many messages is taken as a kernel or parsing
    /// fault rather than read forever.
    private static let maximumDumpMessages = 1_000_000
    private static let receiveTimeoutSeconds = 10

    /// Opens the socket in the network namespace at `namespacePath`, or in the
    /// caller's own when nil.
    init(namespacePath: String?) throws {
        let fd: Int32
        if let namespacePath {
            fd = cs_netlink_socket_in_netns(namespacePath, 0)
            guard fd >= 0 else {
                let reason = NetlinkKernelError.text(-fd)
                throw NetlinkTransportError(description:
                    "cannot open a netlink socket in the network namespace \(namespacePath): \(reason)")
            }
        } else {
            fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                let reason = NetlinkKernelError.text(errno)
                throw NetlinkTransportError(description: "cannot open a netlink socket: \(reason)")
            }
        }
        self.fd = fd
        // Extended ACKs carry the kernel's reason as text; capped ACKs keep
        // error answers short. Both are optional: older kernels lack them.
        var one: Int32 = 1
        _ = setsockopt(fd, Netlink.solNetlink, Netlink.optionExtAck, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, Netlink.solNetlink, Netlink.optionCapAck, &one, socklen_t(MemoryLayout<Int32>.size))
        // The kernel answers rtnetlink requests synchronously, so a long wait
        // means something is wrong; fail instead of holding the thread.
        var timeout = timeval(tv_sec: Self.receiveTimeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        sequence = UInt32(truncatingIfNeeded: time(nil))
        buffer = [UInt8](repeating: 0, count: 1 << 16)
    }

    deinit {
        close(fd)
    }

    /// Sends a request with NLM_F_ACK and waits for the kernel's answer.
    func acknowledge(_ message: NetlinkMessageBuilder) throws {
        let sequence = try send(message)
        while true {
            for reply in try receive() where reply.sequence == sequence {
                switch reply.type {
                case Netlink.error:
                    try checkError(reply)
                    return
                case Netlink.done:
                    return
                default:
                    continue
                }
            }
        }
    }

    /// Sends a dump request and collects the payloads of `replyType` messages.
    /// A dump the kernel marks as interrupted (the table changed meanwhile)
    /// is repeated a few times.
    func dump(_ message: NetlinkMessageBuilder, replyType: UInt16) throws -> [ArraySlice<UInt8>] {
        var attempt = 0
        while true {
            attempt += 1
            let (payloads, interrupted) = try dumpOnce(message, replyType: replyType)
            if !interrupted || attempt >= 5 { return payloads }
        }
    }

    private func dumpOnce(_ message: NetlinkMessageBuilder, replyType: UInt16) throws
        -> (payloads: [ArraySlice<UInt8>], interrupted: Bool)
    {
        let sequence = try send(message)
        var payloads: [ArraySlice<UInt8>] = []
        var interrupted = false
        while true {
            for reply in try receive() where reply.sequence == sequence {
                if reply.flags & Netlink.dumpInterrupted != 0 { interrupted = true }
                switch reply.type {
                case Netlink.done:
                    // A dump that failed part-way ends with a negative errno here.
                    let status = NetlinkByteReader(reply.payload).i32(0)
                    if status < 0 { throw NetlinkKernelError(code: -status, kernelMessage: nil) }
                    return (payloads, interrupted)
                case Netlink.error:
                    try checkError(reply)
                    return (payloads, interrupted)
                case replyType:
                    // Copied: the receive buffer is reused for the next datagram.
                    payloads.append(ArraySlice(Array(reply.payload)))
                    if payloads.count > Self.maximumDumpMessages {
                        isBroken = true
                        throw NetlinkTransportError(description: "netlink dump did not end")
                    }
                default:
                    continue
                }
            }
        }
    }

    private func send(_ message: NetlinkMessageBuilder) throws -> UInt32 {
        sequence &+= 1
        let bytes = message.finish(sequence: sequence)
        while true {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            if sent == bytes.count { return sequence }
            if sent < 0 && errno == EINTR { continue }
            let code = errno
            isBroken = true
            throw NetlinkTransportError(description:
                sent < 0 ? "netlink send failed: \(NetlinkKernelError.text(code))" : "netlink send was short")
        }
    }

    /// One datagram, split into messages.
    private func receive() throws -> [NetlinkMessage] {
        let messageTruncated: Int32 = 0x20  // MSG_TRUNC: return the real length
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, messageTruncated) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                isBroken = true
                if code == EAGAIN || code == EWOULDBLOCK {
                    throw NetlinkTransportError(description:
                        "no netlink answer from the kernel within \(Self.receiveTimeoutSeconds) s")
                }
                throw NetlinkTransportError(description: "netlink receive failed: \(NetlinkKernelError.text(code))")
            }
            if count > buffer.count {
                isBroken = true
                throw NetlinkTransportError(description: "netlink answer of \(count) bytes exceeds the buffer")
            }
            return Netlink.split(buffer[0..<count])
        }
    }

    /// Throws for an NLMSG_ERROR with a non-zero code; a zero code is the ACK.
    private func checkError(_ reply: NetlinkMessage) throws {
        let reader = NetlinkByteReader(reply.payload)
        let code = reader.i32(0)
        guard code != 0 else { return }
        var kernelMessage: String?
        if reply.flags & Netlink.ackTLVs != 0 {
            // The TLVs follow the echoed request: only its header when capped.
            let echoedLength = reply.flags & Netlink.ackCapped != 0
                ? Netlink.headerSize : Int(reader.u32(4))
            let start = 4 + Netlink.align(echoedLength)
            if start < reply.payload.count {
                let attributes = Netlink.attributes(reply.payload.dropFirst(start))
                kernelMessage = attributes[Netlink.errorAttributeMessage].map(Netlink.string)
            }
        }
        throw NetlinkKernelError(code: -code, kernelMessage: kernelMessage)
    }
}
