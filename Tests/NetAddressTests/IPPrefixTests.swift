// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import NetAddress
import Testing

@Suite("IPPrefix and IPPrefixList")
struct IPPrefixTests {
    struct Canonical: Sendable, CustomTestStringConvertible {
        var input: String
        var description: String
        var family: IPFamily
        var length: Int
        var testDescription: String { input }
    }

    static let canonical: [Canonical] = [
        .init(input: "127.0.0.0/8", description: "127.0.0.0/8", family: .v4, length: 8),
        .init(input: "::1/128", description: "::1/128", family: .v6, length: 128),
        .init(input: "127.0.0.1", description: "127.0.0.1/32", family: .v4, length: 32),
        .init(input: "::1", description: "::1/128", family: .v6, length: 128),
        // Lenient: host bits are masked off.
        .init(input: "10.1.2.3/8", description: "10.0.0.0/8", family: .v4, length: 8),
        .init(input: "fd00::1234/16", description: "fd00::/16", family: .v6, length: 16),
        .init(input: "0.0.0.0/0", description: "0.0.0.0/0", family: .v4, length: 0),
        .init(input: "::/0", description: "::/0", family: .v6, length: 0),
        // An IPv4-mapped prefix is the IPv4 prefix it means.
        .init(input: "::ffff:127.0.0.0/104", description: "127.0.0.0/8", family: .v4, length: 8),
    ]

    @Test(arguments: canonical)
    func parsesAndCanonicalises(_ c: Canonical) throws {
        let prefix = try IPPrefix(parsing: c.input)
        #expect(prefix.description == c.description)
        #expect(prefix.family == c.family)
        #expect(prefix.length == c.length)
        #expect(try IPPrefix(parsing: prefix.description) == prefix)
    }

    @Test(arguments: [
        ("127.0.0.0/33", "more than 32"),
        ("::/129", "more than 128"),
        ("127.0.0.0/", "invalid prefix length"),
        ("127.0.0.0/x", "invalid prefix length"),
        ("127.0.0.0/-1", "invalid prefix length"),
        ("localhost/8", "hostnames are not accepted"),
        ("127.0.0.1:53", "not a valid"),
    ])
    func rejects(_ input: String, _ messageContains: String) {
        #expect {
            _ = try IPPrefix(parsing: input)
        } throws: { error in
            (error as? AddressParseError)?.description.contains(messageContains) == true
        }
    }

    struct Match: Sendable, CustomTestStringConvertible {
        var prefix: String
        var address: [UInt8]
        var expected: Bool
        var testDescription: String { "\(prefix) ∋ \(address) = \(expected)" }
    }

    static let mapped127: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1]
    static let loopback6: [UInt8] = Array(repeating: 0, count: 15) + [1]

    static let matches: [Match] = [
        .init(prefix: "127.0.0.0/8", address: [127, 0, 0, 1], expected: true),
        .init(prefix: "127.0.0.0/8", address: [127, 255, 255, 255], expected: true),
        .init(prefix: "127.0.0.0/8", address: [128, 0, 0, 1], expected: false),
        .init(prefix: "127.0.0.1", address: [127, 0, 0, 2], expected: false),
        .init(prefix: "127.0.0.0/8", address: mapped127, expected: true),
        .init(prefix: "::ffff:127.0.0.0/104", address: [127, 0, 0, 9], expected: true),
        .init(prefix: "::1/128", address: loopback6, expected: true),
        .init(prefix: "::1/128", address: [127, 0, 0, 1], expected: false),
        .init(prefix: "::/0", address: loopback6, expected: true),
        .init(prefix: "::/0", address: [127, 0, 0, 1], expected: false),
        .init(prefix: "::/0", address: mapped127, expected: false),
        .init(prefix: "0.0.0.0/0", address: [127, 0, 0, 1], expected: true),
        .init(prefix: "0.0.0.0/0", address: loopback6, expected: false),
        .init(prefix: "fe80::/10", address: [0xFE, 0xBF] + Array(repeating: 0, count: 14), expected: true),
        .init(prefix: "fe80::/10", address: [0xFE, 0xC0] + Array(repeating: 0, count: 14), expected: false),
        .init(prefix: "::1/127", address: Array(repeating: 0, count: 16), expected: true),
        .init(prefix: "127.0.0.0/8", address: [127, 0, 0], expected: false),
        .init(prefix: "127.0.0.0/8", address: [], expected: false),
    ]

    @Test(arguments: matches)
    func containment(_ c: Match) throws {
        let prefix = try IPPrefix(parsing: c.prefix)
        #expect(prefix.contains(c.address) == c.expected)
        #expect(IPPrefixList([prefix]).contains(c.address) == c.expected)
        #expect(prefix.contains(c.address[...]) == c.expected)
    }

    @Test func listMatchesAnyMember() throws {
        let list = try IPPrefixList(parsing: ["127.0.0.0/8", "::1/128"])
        #expect(list.contains([127, 0, 0, 1]))
        #expect(list.contains(Self.loopback6))
        #expect(list.contains(Self.mapped127))
        #expect(!list.contains([10, 0, 0, 1]))
        #expect(!IPPrefixList([]).contains([127, 0, 0, 1]))
        #expect(list.contains(try HostPort(parsing: "[::1]:53")))
        #expect(list.description == "127.0.0.0/8, ::1/128")
    }
}
