import NIOCore
import NIOEmbedded
import Testing
@testable import TTRPC

@Suite struct TTRPCFrameCodecTests {
    private func encode(_ frame: TTRPCFrame) -> [UInt8] {
        var out = ByteBuffer()
        TTRPCFrameEncoder.encodeFrame(frame, into: &out)
        return Array(buffer: out)
    }

    @Test func headerIsBigEndianLengthStreamTypeFlags() {
        let frame = TTRPCFrame(streamID: 0x0102_0304, type: .data, flags: [.remoteClosed, .noData], payload: ByteBuffer(bytes: [0xAA, 0xBB, 0xCC]))
        let expected: [UInt8] = [0, 0, 0, 3, 1, 2, 3, 4, 0x03, 0x05, 0xAA, 0xBB, 0xCC]
        #expect(encode(frame) == expected)
    }

    @Test func decodesWhatItEncodesByteByByte() throws {
        let frames: [TTRPCFrame] = (0..<20).map { (i: Int) -> TTRPCFrame in
            let bytes: [UInt8] = (0..<(i * 37)).map { (j: Int) -> UInt8 in UInt8(truncatingIfNeeded: j &* 7) }
            let type: TTRPCMessageType = i % 2 == 0 ? .request : .response
            return TTRPCFrame(streamID: UInt32(2 * i + 1), type: type, payload: ByteBuffer(bytes: bytes))
        }
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TTRPCFrameDecoder()))
        for byte in frames.flatMap(encode) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        for expected in frames {
            #expect(try channel.readInbound(as: TTRPCFrame.self) == expected)
        }
        #expect(try channel.readInbound(as: TTRPCFrame.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func oversizedFrameIsRejectedFromItsHeaderAlone() throws {
        var buffer = ByteBuffer(bytes: [0x00, 0x40, 0x00, 0x01, 0, 0, 0, 1, 0x01, 0x00])
        #expect(throws: TTRPCProtocolError.frameTooLarge(streamID: 1, length: (4 << 20) + 1)) {
            try TTRPCFrameDecoder.decodeFrame(&buffer)
        }
        // Exactly the limit is accepted: the decoder waits for the payload.
        var atLimit = ByteBuffer(bytes: [0x00, 0x40, 0x00, 0x00, 0, 0, 0, 1, 0x01, 0x00])
        #expect(try TTRPCFrameDecoder.decodeFrame(&atLimit) == nil)
    }

    @Test func unknownTypeIsTyped() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 7, 0x09, 0x00])
        #expect(throws: TTRPCProtocolError.unknownMessageType(streamID: 7, rawType: 9)) {
            try TTRPCFrameDecoder.decodeFrame(&buffer)
        }
    }

    @Test func truncatedFramesReportWhatIsMissing() throws {
        let whole = encode(TTRPCFrame(streamID: 1, type: .request, payload: ByteBuffer(bytes: Array(repeating: 1, count: 100))))
        for cut in 1..<whole.count {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(TTRPCFrameDecoder()))
            try channel.writeInbound(ByteBuffer(bytes: whole[..<cut]))
            let missing = cut < 10 ? 10 - cut : whole.count - cut
            #expect(throws: TTRPCProtocolError.truncatedFrame(missingBytes: missing)) { try channel.finish() }
        }
    }

    /// Random bytes in random chunks: the decoder returns frames, waits, or throws a
    /// typed error; it never crashes and never holds more than one frame's bytes.
    @Test func randomInputNeverCrashes() throws {
        var rng = SplitMix64(seed: 0x7474_7270_63)
        var outcomes: [String: Int] = [:]
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0..<64, using: &rng) { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
            // Half the inputs get a plausible header so that payload paths run too.
            if bytes.count >= 10, Bool.random(using: &rng) {
                bytes[0] = 0; bytes[1] = 0; bytes[2] = 0
                bytes[3] = UInt8.random(in: 0...80, using: &rng)
                bytes[8] = UInt8.random(in: 0...4, using: &rng)
            }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                while let frame = try TTRPCFrameDecoder.decodeFrame(&buffer) {
                    #expect(frame.payload.readableBytes <= TTRPCFrame.maximumPayloadLength)
                    outcomes["frame", default: 0] += 1
                }
                outcomes["needMore", default: 0] += 1
                #expect(buffer.readableBytes < TTRPCFrame.headerLength + 256)
            } catch let error as TTRPCProtocolError {
                outcomes["\(error)".split(separator: ":").last.map(String.init) ?? "", default: 0] += 1
            }
        }
        #expect(outcomes["frame", default: 0] > 100)
        #expect(outcomes["needMore", default: 0] > 100)
        #expect(outcomes.count > 3, "expected several kinds of outcome: \(outcomes)")
    }

    /// Valid frames split at random boundaries decode to the same frames.
    @Test func randomChunkingPreservesFrames() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            var frames: [TTRPCFrame] = []
            for i in 0..<Int.random(in: 1...8, using: &rng) {
                let flags = TTRPCFlags(rawValue: UInt8.random(in: 0...7, using: &rng))
                var payload: [UInt8] = []
                for _ in 0..<Int.random(in: 0..<300, using: &rng) { payload.append(UInt8.random(in: 0...255, using: &rng)) }
                frames.append(TTRPCFrame(streamID: UInt32(2 * i + 1), type: .request, flags: flags, payload: ByteBuffer(bytes: payload)))
            }
            var bytes = frames.flatMap(encode)[...]
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(TTRPCFrameDecoder()))
            while !bytes.isEmpty {
                let n = min(bytes.count, Int.random(in: 1...64, using: &rng))
                try channel.writeInbound(ByteBuffer(bytes: bytes.prefix(n)))
                bytes = bytes.dropFirst(n)
            }
            for expected in frames { #expect(try channel.readInbound(as: TTRPCFrame.self) == expected) }
            #expect(try channel.finish().isClean)
        }
    }
}

/// A small deterministic generator, so that a failing random case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
