/// Validation and normalisation of domain names written in the config.
enum DomainNames {
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
