// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

@Suite("DNSName")
struct DNSNameTests {
    @Test("presentation form parses to labels", arguments: [
        ("www.example.com", [3, 119, 119, 119, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0] as [UInt8]),
        ("www.example.com.", [3, 119, 119, 119, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0]),
        (".", [0]),
        ("", [0]),
        ("a\\.b.c", [3, 97, 46, 98, 1, 99, 0]),
        ("a\\\\b", [3, 97, 92, 98, 0]),
        ("\\065\\000z", [3, 65, 0, 122, 0]),
        ("x\\032y.", [3, 120, 32, 121, 0]),
    ])
    func parses(text: String, wire: [UInt8]) throws {
        let name = try DNSName(text)
        #expect(name.wireBytes == wire)
    }

    @Test("bad presentation names are typed errors", arguments: [
        "a..b", ".a", "a\\", "a\\25", "a\\256", "a\\2x5", "..",
        String(repeating: "a", count: 64) + ".com",
    ])
    func rejectsBadPresentation(_ text: String) {
        #expect(throws: DNSWireError.badPresentationName(text)) { try DNSName(text) }
    }

    @Test("63-byte labels are fine, 64 are not; 255 bytes are fine, 256 are not")
    func lengthLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        #expect(try DNSName(label63).wireBytes.count == 65)
        // 3 × 64 + 62 + 1 = 255 bytes: the largest legal name.
        let longest = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(try DNSName(longest).wireBytes.count == 255)
        let tooLong = [label63, label63, label63, String(repeating: "b", count: 62)].joined(separator: ".")
        #expect(throws: DNSWireError.nameTooLong) { try DNSName(tooLong) }
    }

    @Test("wire bytes are validated", arguments: [
        ([] as [UInt8], WireErrorKind.truncated),
        ([3, 97, 98], .truncated),
        ([1, 97, 0, 0], .trailingBytes),
        ([64] + [UInt8](repeating: 97, count: 64) + [0], .labelTooLong),
        (Array([[UInt8]](repeating: [63] + [UInt8](repeating: 97, count: 63), count: 4).joined()) + [0], .nameTooLong),
    ])
    func wireValidation(wire: [UInt8], kind: WireErrorKind) {
        do {
            _ = try DNSName(wireBytes: wire)
            Issue.record("accepted \(wire)")
        } catch {
            #expect(error.kind == kind)
        }
    }

    @Test("equality and hashing ignore ASCII case only", arguments: [
        ("Example.COM", "example.com", true),
        ("example.com.", "example.com", true),
        ("exampl.com", "example.com", false),
        ("a\\193.com", "a\\225.com", false),  // 0xC1 vs 0xE1: not ASCII letters, must stay distinct
        ("a[.com", "a{.com", false),          // 0x5B vs 0x7B differ by 0x20 but are not letters
    ])
    func caseInsensitiveEquality(lhs: String, rhs: String, equal: Bool) {
        let left = dnsName(lhs)
        let right = dnsName(rhs)
        #expect((left == right) == equal)
        if equal {
            #expect(left.hashValue == right.hashValue)
            #expect(Set([left, right]).count == 1)
        }
    }

    @Test("hasIdenticalCase compares bytes exactly")
    func identicalCase() {
        #expect(dnsName("Example.com").hasIdenticalCase(to: dnsName("Example.com.")))
        #expect(!dnsName("Example.com").hasIdenticalCase(to: dnsName("example.com")))
    }

    @Test("isSubdomain respects label boundaries", arguments: [
        ("www.example.com", "example.com", true),
        ("example.com", "example.com", true),
        ("WWW.EXAMPLE.COM", "example.com", true),
        ("a.b.example.com", "b.EXAMPLE.com", true),
        ("anything.at.all", ".", true),
        (".", ".", true),
        ("xample.com", "example.com", false),
        ("wwwexample.com", "example.com", false),
        ("example.com", "www.example.com", false),
        ("example.org", "example.com", false),
        ("com", "example.com", false),
        ("a\\.example.com", "example.com", false),  // one label "a.example"
        ("a\\.example.com", "com", true),
        ("a\\007example.com", "example.com", false),  // bytes match at a non-boundary offset
    ])
    func subdomain(name: String, suffix: String, expected: Bool) {
        #expect(dnsName(name).isSubdomain(of: dnsName(suffix)) == expected)
    }

    @Test("randomizingCase keeps equality and only touches letters")
    func randomizeCase() {
        var rng = SystemRandomNumberGenerator()
        let name = dnsName("www-1.Example.com")
        var sawMixed = false
        for _ in 0..<50 {
            let randomized = name.randomizingCase(using: &rng)
            #expect(randomized == name)
            #expect(randomized.wireBytes.count == name.wireBytes.count)
            #expect(randomized.description.lowercased() == "www-1.example.com.")
            if !randomized.hasIdenticalCase(to: name.lowercased()) { sawMixed = true }
        }
        #expect(sawMixed)
    }

    @Test("description round-trips through the parser", arguments: [
        "www.example.com.", ".", "a\\.b.c.", "sp\\032ace.", "quote\\\\x.", "\\000\\255.x.", "UPPER.lower.",
    ])
    func descriptionRoundTrip(_ text: String) throws {
        let name = try DNSName(text)
        #expect(name.description == text)
        let again = try DNSName(name.description)
        #expect(again.hasIdenticalCase(to: name))
    }

    @Test("labels, labelCount and parent")
    func structure() {
        let name = dnsName("www.example.com")
        #expect(name.labelCount == 3)
        #expect(name.labels.map { String(decoding: $0, as: UTF8.self) } == ["www", "example", "com"])
        #expect(name.parent() == dnsName("example.com"))
        #expect(name.parent()?.parent()?.parent() == .root)
        #expect(DNSName.root.parent() == nil)
        #expect(DNSName.root.isRoot && DNSName.root.labelCount == 0)
        #expect(dnsName("Www.Example.com").lowercased().hasIdenticalCase(to: dnsName("www.example.com")))
    }
}
