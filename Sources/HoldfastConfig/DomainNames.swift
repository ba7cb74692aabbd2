// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// Validation and normalisation of domain names written in the config.
enum DomainNames {
    /// Checks the name as `normalize` does and returns it as a `DNSName` (lowercase): the one
    /// place config text becomes a name, so nothing downstream parses it again.
    static func parse(_ text: String) -> Result<DNSName, NameProblem> {
        switch normalize(text) {
        case .success(let normalized):
            do {
                return .success(try DNSName(normalized))
            } catch {
                return .failure(NameProblem("\"\(text)\" is not a valid name: \(error)"))
            }
        case .failure(let problem):
            return .failure(problem)
        }
    }

    /// How the config writes `name` in messages: lowercase, without the trailing dot.
    static func text(_ name: DNSName) -> String {
        String(name.description.dropLast())
    }

    /// Lowercases, drops one trailing dot and checks the name is a plausible DNS name:
    /// ASCII letters, digits, `-` and `_`, labels of 1-63 bytes, at most 253 bytes.
    /// Returns the normalised name or a problem description. The root (`.` or "") is rejected.
    static func normalize(_ text: String) -> Result<String, NameProblem> {
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if name.isEmpty {
            return .failure(NameProblem(text.isEmpty ? "is empty" : "is the root name"))
        }
        if name.utf8.count > 253 {
            return .failure(NameProblem("is longer than 253 bytes"))
        }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty {
                return .failure(NameProblem("\"\(text)\" has an empty label"))
            }
            if label.utf8.count > 63 {
                return .failure(NameProblem("\"\(text)\" has a label longer than 63 bytes"))
            }
            for byte in label.utf8 where !isNameByte(byte) {
                if byte >= 0x80 {
                    return .failure(NameProblem(
                        "\"\(text)\" is not ASCII: write internationalised names in their xn-- form"))
                }
                let character = Character(Unicode.Scalar(byte))
                return .failure(NameProblem("\"\(text)\" contains \"\(character)\", which is not allowed in a name"))
            }
        }
        return .success(name)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}

/// Why a name was rejected.
struct NameProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
