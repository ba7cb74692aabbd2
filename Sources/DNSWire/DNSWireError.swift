// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Everything that can be wrong with bytes that claim to be a DNS message.
///
/// Reading is total: every malformed input surfaces as one of these, never as a trap.
public enum DNSWireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before a field that had to be there (`needed` bytes at `offset`).
    case truncated(offset: Int)
    /// A label longer than 63 bytes.
    case labelTooLong(offset: Int)
    /// A name longer than 255 bytes in wire form.
    case nameTooLong
    /// A compression pointer that points forward, at itself, or loops.
    case badPointer(offset: Int)
    /// A label type other than a normal label or a pointer (0x40/0x80 prefixes).
    case badLabelType(offset: Int)
    /// RDATA whose length or content does not match its type.
    case badRData(offset: Int)
    /// More than one OPT record, or an OPT record outside the additional section.
    case badOPT
    /// A name in presentation form that cannot be a DNS name.
    case badPresentationName(String)
    /// Bytes left over after the last section.
    case trailingBytes(offset: Int)

    public var description: String {
        switch self {
        case .truncated(let offset): return "message truncated at offset \(offset)"
        case .labelTooLong(let offset): return "label longer than 63 bytes at offset \(offset)"
        case .nameTooLong: return "name longer than 255 bytes"
        case .badPointer(let offset): return "bad compression pointer at offset \(offset)"
        case .badLabelType(let offset): return "unknown label type at offset \(offset)"
        case .badRData(let offset): return "malformed RDATA at offset \(offset)"
        case .badOPT: return "misplaced or repeated OPT record"
        case .badPresentationName(let text): return "not a valid DNS name: \(text)"
        case .trailingBytes(let offset): return "trailing bytes after the message at offset \(offset)"
        }
    }
}
