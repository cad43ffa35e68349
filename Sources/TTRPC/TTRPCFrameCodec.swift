import NIOCore
import Protocols

/// Splits a byte stream into ``TTRPCFrame``s. The length is checked before any
/// payload is buffered, so a hostile peer cannot make it hold more than one
/// maximum-size frame.
public struct TTRPCFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = TTRPCFrame

    public init() {}

    /// Decodes one frame from the front of `buffer`, or returns nil when more bytes are needed.
    public static func decodeFrame(_ buffer: inout ByteBuffer) throws -> TTRPCFrame? {
        guard buffer.readableBytes >= TTRPCFrame.headerLength else { return nil }
        let start = buffer.readerIndex
        let length = buffer.getInteger(at: start, as: UInt32.self)!
        let streamID = buffer.getInteger(at: start + 4, as: UInt32.self)!
        let rawType = buffer.getInteger(at: start + 8, as: UInt8.self)!
        let rawFlags = buffer.getInteger(at: start + 9, as: UInt8.self)!
        guard length <= UInt32(TTRPCFrame.maximumPayloadLength) else {
            throw TTRPCProtocolError.frameTooLarge(streamID: streamID, length: length)
        }
        guard let type = TTRPCMessageType(rawValue: rawType) else {
            throw TTRPCProtocolError.unknownMessageType(streamID: streamID, rawType: rawType)
        }
        guard buffer.readableBytes >= TTRPCFrame.headerLength + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: TTRPCFrame.headerLength)
        let payload = buffer.readSlice(length: Int(length))!
        return TTRPCFrame(streamID: streamID, type: type, flags: TTRPCFlags(rawValue: rawFlags), payload: payload)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.decodeFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let missing: Int
            if buffer.readableBytes < TTRPCFrame.headerLength {
                missing = TTRPCFrame.headerLength - buffer.readableBytes
            } else {
                let length = Int(buffer.getInteger(at: buffer.readerIndex, as: UInt32.self)!)
                missing = TTRPCFrame.headerLength + length - buffer.readableBytes
            }
            buffer.moveReaderIndex(to: buffer.writerIndex)
            throw TTRPCProtocolError.truncatedFrame(missingBytes: missing)
        }
        return .needMoreData
    }
}

/// Writes ``TTRPCFrame``s as header plus payload.
public struct TTRPCFrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = TTRPCFrame

    public init() {}

    /// Appends the encoded `frame` to `out`.
    public static func encodeFrame(_ frame: TTRPCFrame, into out: inout ByteBuffer) {
        out.reserveCapacity(minimumWritableBytes: TTRPCFrame.headerLength + frame.payload.readableBytes)
        out.writeInteger(UInt32(frame.payload.readableBytes))
        out.writeInteger(frame.streamID)
        out.writeInteger(frame.type.rawValue)
        out.writeInteger(frame.flags.rawValue)
        var payload = frame.payload
        out.writeBuffer(&payload)
    }

    public func encode(data: TTRPCFrame, out: inout ByteBuffer) throws {
        precondition(data.payload.readableBytes <= TTRPCFrame.maximumPayloadLength, "caller checks the payload size")
        Self.encodeFrame(data, into: &out)
    }
}
