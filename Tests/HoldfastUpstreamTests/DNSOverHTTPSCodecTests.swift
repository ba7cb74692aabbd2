// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Testing
@testable import HoldfastUpstream

/// The DoH codec against hand-made server frames (no socket): what goes on the wire for a
/// query, and what a GOAWAY or a refused stream does to queries in flight.
@Suite("DNS over HTTPS codec")
struct DNSOverHTTPSCodecTests {
    struct Frame: Equatable {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
    }

    /// HTTP/2 frames in `bytes` (after the client preface, if present).
    static func frames(_ bytes: [UInt8]) -> [Frame] {
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        var offset = bytes.starts(with: preface) ? preface.count : 0
        var frames: [Frame] = []
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let stream = UInt32(bytes[offset + 5] & 0x7F) << 24 | UInt32(bytes[offset + 6]) << 16
                | UInt32(bytes[offset + 7]) << 8 | UInt32(bytes[offset + 8])
            guard offset + 9 + length <= bytes.count else { break }
            frames.append(Frame(type: bytes[offset + 3], flags: bytes[offset + 4], stream: stream,
                                payload: Array(bytes[(offset + 9)..<(offset + 9 + length)])))
            offset += 9 + length
        }
        return frames
    }

    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8] = []) -> [UInt8] {
        [UInt8(payload.count >> 16 & 0xFF), UInt8(payload.count >> 8 & 0xFF), UInt8(payload.count & 0xFF), type, flags,
         UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }

    /// What the codec wants written unasked.
    static func output(_ codec: DNSOverHTTPSCodec) -> [UInt8] {
        var bytes: [UInt8] = []
        codec.pendingOutput(into: &bytes)
        return bytes
    }

    /// Submits; nil when the codec refused, else the bytes it laid out.
    static func submit(_ codec: DNSOverHTTPSCodec, _ id: UInt16) throws -> [UInt8]? {
        var bytes: [UInt8] = []
        return codec.submit(id: id, message: try query(id), into: &bytes) ? bytes : nil
    }

    /// The events of reading `bytes`, and what the codec wrote back.
    static func receive(_ codec: DNSOverHTTPSCodec, _ bytes: [UInt8]) -> (events: [CodecEvent], output: [UInt8]) {
        var events: [CodecEvent] = []
        var output: [UInt8] = []
        codec.received(ArraySlice(bytes), output: &output) { events.append($0) }
        return (events, output)
    }

    static func query(_ id: UInt16) throws -> [UInt8] {
        DNSMessage.makeStreamQuery(id: id, question: DNSQuestion(name: try DNSName("www.example.test"), type: .a))
    }

    @Test("A query is one POST stream whose body is the message with ID 0 (RFC 8484 §4.1)")
    func queryOnTheWire() throws {
        let codec = try #require(DNSOverHTTPSCodec(authority: "dot.test", path: "/dns-query"))
        let opening = Self.frames(Self.output(codec))
        #expect(opening.first?.type == 4, "SETTINGS first, after the preface")
        let message = try Self.query(0xBEEF)
        let frames = Self.frames(try #require(try Self.submit(codec, 0xBEEF)))
        #expect(frames.map(\.type) == [1, 0], "HEADERS, then DATA")
        #expect(frames.allSatisfy { $0.stream == 1 })
        let data = try #require(frames.last)
        #expect(data.flags & 0x1 == 0x1, "END_STREAM on the body")
        #expect(data.payload == [0, 0] + message.dropFirst(2))
        #expect(message.count % 128 == 0, "padded")
    }

    @Test("A GOAWAY drains the connection: streams above its last are handed back, nothing new is taken")
    func goaway() throws {
        let codec = try #require(DNSOverHTTPSCodec(authority: "dot.test", path: "/dns-query"))
        _ = Self.output(codec)
        for id: UInt16 in [11, 12, 13] { #expect(try Self.submit(codec, id) != nil) }
        #expect(!codec.isDraining)
        // The server's SETTINGS, then GOAWAY(last stream 1, NO_ERROR): streams 3 and 5 were not processed.
        let events = Self.receive(codec, Self.frame(type: 4) + Self.frame(type: 7, payload: [0, 0, 0, 1, 0, 0, 0, 0])).events
        let refused = events.compactMap { event -> UInt16? in
            if case .refused(let id) = event { return id }
            return nil
        }
        #expect(refused.sorted() == [12, 13])
        #expect(codec.isDraining)
        #expect(try Self.submit(codec, 14) == nil)
    }

    @Test("The server's stream limit is the connection's capacity")
    func streamLimit() throws {
        let codec = try #require(DNSOverHTTPSCodec(authority: "dot.test", path: "/dns-query"))
        _ = Self.output(codec)
        #expect(codec.capacity == DNSOverHTTPSCodec.maxInFlight, "nghttp2 assumes no limit until the server sends one")
        // SETTINGS_MAX_CONCURRENT_STREAMS (3) = 2.
        let reply = Self.receive(codec, Self.frame(type: 4, payload: [0, 3, 0, 0, 0, 2]))
        #expect(codec.capacity == 2)
        #expect(Self.frames(reply.output).contains { $0.type == 4 && $0.flags & 0x1 == 0x1 }, "SETTINGS acknowledged")
    }

    @Test("A reset stream fails its query; a refused one is handed back")
    func resets() throws {
        let codec = try #require(DNSOverHTTPSCodec(authority: "dot.test", path: "/dns-query"))
        _ = Self.output(codec)
        for id: UInt16 in [1, 2] { #expect(try Self.submit(codec, id) != nil) }
        let events = Self.receive(codec, Self.frame(type: 4) + Self.frame(type: 3, stream: 1, payload: [0, 0, 0, 2])  // INTERNAL_ERROR
            + Self.frame(type: 3, stream: 3, payload: [0, 0, 0, 7])).events  // REFUSED_STREAM
        #expect(events.count == 2)
        guard events.count == 2 else { return }
        if case .failed(let id, let error) = events[0] {
            #expect(id == 1)
            #expect(error.description.contains("stream reset"))
        } else {
            Issue.record("stream 1: \(events[0])")
        }
        if case .refused(let id) = events[1] { #expect(id == 2) } else { Issue.record("stream 3: \(events[1])") }
    }
}
