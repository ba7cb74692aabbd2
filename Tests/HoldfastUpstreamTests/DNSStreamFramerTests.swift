// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import HoldfastUpstream

@Suite("DNS stream framing")
struct DNSStreamFramerTests {
    static func framed(_ messages: [[UInt8]]) -> [UInt8] {
        var stream: [UInt8] = []
        for message in messages { DNSStreamFramer.appendFrame(message, to: &stream) }
        return stream
    }

    static let messages: [[UInt8]] = [
        Array(repeating: 1, count: 12), Array(0..<200).map { UInt8($0) }, [], Array(repeating: 7, count: 300),
    ]

    @Test("messages come out whole and in order however the stream is cut", arguments: [1, 2, 3, 7, 64, 1000])
    func anyCut(piece: Int) {
        let stream = Self.framed(Self.messages)
        var framer = DNSStreamFramer()
        var out: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + piece)
            framer.append(stream[offset..<end])
            offset = end
            while let message = framer.next() { out.append(message) }
        }
        #expect(out == Self.messages)
        #expect(framer.pendingByteCount == 0)
    }

    @Test("a half message waits for the rest; the length prefix is big-endian")
    func partial() {
        var framer = DNSStreamFramer()
        framer.append([0x01, 0x02])  // 258 bytes follow
        framer.append(Array(repeating: 9, count: 257))
        #expect(framer.next() == nil)
        #expect(framer.pendingByteCount == 259)
        framer.append([9, 0x00])
        #expect(framer.next() == Array(repeating: 9, count: 258))
        #expect(framer.next() == nil)
        #expect(framer.pendingByteCount == 1)
    }
}
