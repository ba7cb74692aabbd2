// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What holdfastctl needs beyond FoundationEssentials: writing to stdout/stderr, trimming and
/// percent-encoding text (Foundation's versions live in its ICU-backed half).
enum StandardStreams {
    static func writeOutput(_ text: String) { write(text, to: STDOUT_FILENO) }
    static func writeError(_ text: String) { write(text, to: STDERR_FILENO) }

    /// Writes all of `text` to `fd` (retrying short writes and EINTR; other errors drop the rest).
    static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

extension String {
    /// Without leading and trailing whitespace and newlines.
    var trimmedOfWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// Percent-encoded for a URI query value: RFC 3986 unreserved characters stay, every other
    /// UTF-8 byte becomes `%XX`.
    var percentEncodedForQuery: String {
        var encoded = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                encoded += "%"
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return encoded
    }
}
