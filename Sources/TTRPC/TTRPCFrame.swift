import NIOCore
import Protocols

/// The kind of a ttrpc frame (byte 8 of the header).
public enum TTRPCMessageType: UInt8, Sendable {
    case request = 0x01
    case response = 0x02
    case data = 0x03
}

/// Flag bits of a ttrpc frame (byte 9 of the header); their meaning depends on the type.
public struct TTRPCFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Request or Data: the sender will send nothing more on this stream.
    public static let remoteClosed = TTRPCFlags(rawValue: 0x01)
    /// Request: the client will stream Data frames after it.
    public static let remoteOpen = TTRPCFlags(rawValue: 0x02)
    /// Data: the frame carries no payload.
    public static let noData = TTRPCFlags(rawValue: 0x04)
}

/// One ttrpc frame: a 10-byte big-endian header (payload length, stream id,
/// type, flags) followed by the payload.
public struct TTRPCFrame: Sendable, Equatable {
    /// Bytes in a frame header.
    public static let headerLength = 10
    /// Largest payload either side accepts (containerd/ttrpc's `messageLengthMax`).
    public static let maximumPayloadLength = 4 << 20

    public var streamID: UInt32
    public var type: TTRPCMessageType
    public var flags: TTRPCFlags
    public var payload: ByteBuffer

    public init(streamID: UInt32, type: TTRPCMessageType, flags: TTRPCFlags = [], payload: ByteBuffer) {
        self.streamID = streamID
        self.type = type
        self.flags = flags
        self.payload = payload
    }
}

/// Why bytes could not be read as a ttrpc frame, or a frame broke the protocol.
public enum TTRPCProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The header announces more than ``TTRPCFrame/maximumPayloadLength`` bytes.
    case frameTooLarge(streamID: UInt32, length: UInt32)
    /// Byte 8 is not Request, Response or Data.
    case unknownMessageType(streamID: UInt32, rawType: UInt8)
    /// A client stream id must be odd.
    case evenStreamID(UInt32)
    /// Client stream ids must grow.
    case streamIDNotIncreasing(UInt32, last: UInt32)
    /// The payload of a Request or Response is not valid protobuf.
    case malformedPayload(streamID: UInt32, reason: String)
    /// A frame of a type this side does not accept here (e.g. a Request sent to a client).
    case unexpectedMessageType(streamID: UInt32, type: TTRPCMessageType)
    /// The connection ended inside a frame.
    case truncatedFrame(missingBytes: Int)

    public var description: String {
        switch self {
        case let .frameTooLarge(id, length):
            return "stream \(id): frame of \(length) bytes exceeds the limit of \(TTRPCFrame.maximumPayloadLength) bytes"
        case let .unknownMessageType(id, raw):
            return "stream \(id): unknown message type 0x\(String(raw, radix: 16))"
        case let .evenStreamID(id):
            return "stream \(id): client stream ids must be odd"
        case let .streamIDNotIncreasing(id, last):
            return "stream \(id): stream ids must increase (last was \(last))"
        case let .malformedPayload(id, reason):
            return "stream \(id): malformed payload: \(reason)"
        case let .unexpectedMessageType(id, type):
            return "stream \(id): unexpected \(type) frame"
        case let .truncatedFrame(missing):
            return "connection closed inside a frame (\(missing) bytes missing)"
        }
    }
}
