// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Splits a byte stream into DNS messages, each preceded by its two-octet length (RFC 1035
/// §4.2.2, RFC 7858 §3.3). Bytes arrive in arbitrary pieces; whole messages come out.
struct DNSStreamFramer {
    private var buffer: [UInt8] = []
    private var start = 0

    /// Adds bytes read from the stream.
    mutating func append<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message, or nil until more bytes arrive.
    mutating func next() -> [UInt8]? {
        guard buffer.count - start >= 2 else { return compact() }
        let length = Int(buffer[start]) << 8 | Int(buffer[start + 1])
        guard buffer.count - start - 2 >= length else { return compact() }
        let message = Array(buffer[(start + 2)..<(start + 2 + length)])
        start += 2 + length
        return message
    }

    /// Bytes received but not yet part of a whole message.
    var pendingByteCount: Int { buffer.count - start }

    /// Drops consumed bytes once they are the larger part of the buffer.
    private mutating func compact() -> [UInt8]? {
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return nil
    }

    /// Appends `message` with its two-octet length prefix to `stream`, for writing.
    static func appendFrame(_ message: [UInt8], to stream: inout [UInt8]) {
        stream.append(UInt8(message.count >> 8 & 0xFF))
        stream.append(UInt8(message.count & 0xFF))
        stream.append(contentsOf: message)
    }
}
