// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A domain name in uncompressed wire form, keeping the case it was written in.
///
/// Equality and hashing are ASCII case-insensitive (RFC 4343); `hasIdenticalCase(to:)`
/// compares exactly, for 0x20 checks. The stored bytes always end with the root label (0).
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// Uncompressed wire form, original case, ending with the zero-length root label.
    public let wireBytes: [UInt8]

    /// The root name ".".
    public static let root = DNSName(trustedWireBytes: [0])

    /// Wraps bytes already known to be a valid uncompressed name (ends with 0, labels ≤ 63, ≤ 255).
    init(trustedWireBytes: [UInt8]) { self.wireBytes = trustedWireBytes }

    /// Validates and wraps uncompressed wire bytes.
    public init(wireBytes: [UInt8]) throws(DNSWireError) {
        var index = 0
        while true {
            guard index < wireBytes.count else { throw .truncated(offset: index) }
            let length = Int(wireBytes[index])
            if length == 0 { break }
            guard length <= 63 else { throw .labelTooLong(offset: index) }
            index += 1 + length
        }
        guard index + 1 == wireBytes.count else { throw .trailingBytes(offset: index + 1) }
        guard wireBytes.count <= 255 else { throw .nameTooLong }
        self.wireBytes = wireBytes
    }

    /// Parses presentation form: "www.example.com", "www.example.com.", "." ; `\.` and `\DDD` escapes.
    public init(_ text: String) throws(DNSWireError) {
        if text == "." || text.isEmpty {
            self = .root
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        var label: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        func finishLabel() throws(DNSWireError) {
            guard !label.isEmpty else { throw .badPresentationName(text) }
            guard label.count <= 63 else { throw .badPresentationName(text) }
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
            label.removeAll(keepingCapacity: true)
        }
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: ".") {
                try finishLabel()
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < utf8.count else { throw .badPresentationName(text) }
                let next = utf8[index + 1]
                if next >= 0x30 && next <= 0x39 {
                    var value = 0
                    for digitIndex in (index + 1)...(index + 3) {
                        guard digitIndex < utf8.count else { throw .badPresentationName(text) }
                        let digit = utf8[digitIndex]
                        guard digit >= 0x30 && digit <= 0x39 else { throw .badPresentationName(text) }
                        value = value * 10 + Int(digit - 0x30)
                    }
                    guard value <= 255 else { throw .badPresentationName(text) }
                    label.append(UInt8(value))
                    index += 4
                } else {
                    label.append(next)
                    index += 2
                }
                continue
            }
            label.append(byte)
            index += 1
        }
        if !label.isEmpty { try finishLabel() }
        bytes.append(0)
        guard bytes.count <= 255 else { throw .nameTooLong }
        self.wireBytes = bytes
    }

    /// Number of labels, not counting the root.
    public var labelCount: Int {
        var count = 0
        var index = 0
        while index < wireBytes.count, wireBytes[index] != 0 {
            count += 1
            index += 1 + Int(wireBytes[index])
        }
        return count
    }

    /// Labels from left to right, without the root.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var index = 0
        while index < wireBytes.count, wireBytes[index] != 0 {
            let length = Int(wireBytes[index])
            result.append(wireBytes[(index + 1)..<(index + 1 + length)])
            index += 1 + length
        }
        return result
    }

    /// True for the root name.
    public var isRoot: Bool { wireBytes.count == 1 }

    /// This name in lower case (ASCII only).
    public func lowercased() -> DNSName {
        DNSName(trustedWireBytes: wireBytes.map(asciiLowercase))
    }

    /// True when both names have the same bytes, case included.
    public func hasIdenticalCase(to other: DNSName) -> Bool { wireBytes == other.wireBytes }

    /// A copy with every ASCII letter's case chosen at random (DNS 0x20).
    public func randomizingCase<R: RandomNumberGenerator>(using generator: inout R) -> DNSName {
        var bytes = wireBytes
        var bits: UInt64 = 0
        var bitsLeft = 0
        var index = 0
        while index < bytes.count, bytes[index] != 0 {
            let length = Int(bytes[index])
            for position in (index + 1)..<(index + 1 + length) {
                let byte = bytes[position]
                let lower = asciiLowercase(byte)
                guard lower >= 0x61 && lower <= 0x7A else { continue }
                if bitsLeft == 0 {
                    bits = generator.next()
                    bitsLeft = 64
                }
                bytes[position] = (bits & 1) == 0 ? lower : lower - 0x20
                bits >>= 1
                bitsLeft -= 1
            }
            index += 1 + length
        }
        return DNSName(trustedWireBytes: bytes)
    }

    /// True when this name equals `suffix` or lies below it (case-insensitive).
    public func isSubdomain(of suffix: DNSName) -> Bool {
        let mine = wireBytes.count
        let theirs = suffix.wireBytes.count
        guard theirs <= mine else { return false }
        // The suffix must start on a label boundary.
        var index = 0
        while index < mine {
            if mine - index == theirs {
                return equalIgnoringCase(wireBytes[index...], suffix.wireBytes[...])
            }
            if mine - index < theirs || wireBytes[index] == 0 { return false }
            index += 1 + Int(wireBytes[index])
        }
        return false
    }

    /// The name with its first label removed; nil for the root.
    public func parent() -> DNSName? {
        guard !isRoot else { return nil }
        let skip = 1 + Int(wireBytes[0])
        return DNSName(trustedWireBytes: Array(wireBytes[skip...]))
    }

    /// Presentation form with a trailing dot, escaping dots and unprintable bytes inside labels.
    public var description: String {
        if isRoot { return "." }
        var text = ""
        text.reserveCapacity(wireBytes.count + 1)
        for label in labels {
            for byte in label {
                appendPresentation(byte, to: &text, escaping: [UInt8(ascii: "."), UInt8(ascii: "\\")], printable: 0x21...0x7E)
            }
            text.append(".")
        }
        return text
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.wireBytes.count == rhs.wireBytes.count && equalIgnoringCase(lhs.wireBytes[...], rhs.wireBytes[...])
    }

    /// Case-insensitive, eight lowercased bytes per `combine` (names key the in-flight table
    /// and the failure cache on the miss path; one `combine` per byte cost more than the rest).
    public func hash(into hasher: inout Hasher) {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for byte in wireBytes {
            word |= UInt64(asciiLowercase(byte)) << shift
            shift += 8
            if shift == 64 {
                hasher.combine(word)
                word = 0
                shift = 0
            }
        }
        hasher.combine(word)
    }
}

@inline(__always)
func asciiLowercase(_ byte: UInt8) -> UInt8 {
    (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
}

@inline(__always)
func equalIgnoringCase(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var left = lhs.startIndex
    var right = rhs.startIndex
    while left < lhs.endIndex {
        if asciiLowercase(lhs[left]) != asciiLowercase(rhs[right]) { return false }
        left += 1
        right += 1
    }
    return true
}
