// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A bounds-checked cursor over the bytes of one DNS message.
///
/// Every read checks its bounds and throws `DNSWireError`; nothing here can trap on input.
/// The buffer is borrowed: a reader must not outlive the `withUnsafeBytes` call that made it,
/// which is why every public entry point takes `[UInt8]` or a closure-scoped buffer.
struct DNSReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func readUInt8() throws(DNSWireError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(DNSWireError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw .truncated(offset: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32() throws(DNSWireError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw .truncated(offset: offset) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func readBytes(_ count: Int) throws(DNSWireError) -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw .truncated(offset: offset) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func skip(_ count: Int) throws(DNSWireError) {
        guard count >= 0, offset + count <= bytes.count else { throw .truncated(offset: offset) }
        offset += count
    }

    /// Reads a possibly compressed name, following only backward pointers.
    mutating func readName() throws(DNSWireError) -> DNSName {
        var output: [UInt8] = []
        output.reserveCapacity(32)
        offset = try Self.decodeName(bytes, at: offset, into: &output)
        return DNSName(trustedWireBytes: output)
    }

    /// Decodes the name at `start` into `output` (appending), returns the offset after the name
    /// at its original place. Pointers must point strictly backwards (before the label that
    /// holds them), which rules out loops; the total is capped at 255 bytes.
    static func decodeName(_ bytes: UnsafeRawBufferPointer, at start: Int, into output: inout [UInt8]) throws(DNSWireError) -> Int {
        let end = try DNSNameWalk.walk(bytes, at: start) { range in
            output.append(UInt8(range.count))
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
        }
        output.append(0)
        return end
    }
}
