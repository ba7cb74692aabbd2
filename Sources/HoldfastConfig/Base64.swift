// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Standard base64 (RFC 4648 §4, with padding) decoding, for `tls_pins`.
enum Base64 {
    /// The bytes `text` encodes, or nil when it is not canonical padded base64.
    static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard !characters.isEmpty, characters.count % 4 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 4 * 3)
        for start in stride(from: 0, to: characters.count, by: 4) {
            let group = characters[start..<(start + 4)]
            let isLast = start + 4 == characters.count
            let padding = group.reversed().prefix(while: { $0 == UInt8(ascii: "=") }).count
            guard padding <= 2, padding == 0 || isLast else { return nil }
            var value: UInt32 = 0
            for (offset, character) in group.enumerated() {
                if offset >= 4 - padding {
                    value <<= 6
                    continue
                }
                guard let sextet = sextet(character) else { return nil }
                value = value << 6 | UInt32(sextet)
            }
            bytes.append(UInt8(value >> 16 & 0xFF))
            if padding < 2 { bytes.append(UInt8(value >> 8 & 0xFF)) }
            if padding < 1 { bytes.append(UInt8(value & 0xFF)) }
        }
        return bytes
    }

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
