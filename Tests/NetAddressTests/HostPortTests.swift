// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import NetAddress
import Testing

@Suite("HostPort parsing")
struct HostPortTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        var input: String
        var defaultPort: UInt16?
        var host: String
        var port: UInt16
        var family: IPFamily
        var description: String
        var testDescription: String { input }
    }

    static let valid: [Valid] = [
        .init(input: "127.0.0.1:53", host: "127.0.0.1", port: 53, family: .v4, description: "127.0.0.1:53"),
        .init(input: "[::1]:53", host: "::1", port: 53, family: .v6, description: "[::1]:53"),
        .init(input: "[0:0::1]:5353", host: "::1", port: 5353, family: .v6, description: "[::1]:5353"),
        .init(input: "127.0.0.1:0", host: "127.0.0.1", port: 0, family: .v4, description: "127.0.0.1:0"),
        .init(input: "127.0.0.1:65535", host: "127.0.0.1", port: 65535, family: .v4, description: "127.0.0.1:65535"),
        .init(input: "127.0.0.1", defaultPort: 53, host: "127.0.0.1", port: 53, family: .v4, description: "127.0.0.1:53"),
        .init(input: "::1", defaultPort: 53, host: "::1", port: 53, family: .v6, description: "[::1]:53"),
        .init(input: "[::1]", defaultPort: 853, host: "::1", port: 853, family: .v6, description: "[::1]:853"),
        .init(input: "[::ffff:127.0.0.1]:53", host: "::ffff:127.0.0.1", port: 53, family: .v6, description: "[::ffff:127.0.0.1]:53"),
    ]

    @Test(arguments: valid)
    func parsesLiterals(_ c: Valid) throws {
        let value = try HostPort(parsing: c.input, defaultPort: c.defaultPort)
        #expect(value.host == c.host)
        #expect(value.port == c.port)
        #expect(value.family == c.family)
        #expect(value.addressBytes.count == c.family.byteCount)
        #expect(value.description == c.description)
        // The description parses back to the same value.
        #expect(try HostPort(parsing: value.description) == value)
    }

    @Test func addressBytesAreNetworkOrder() throws {
        #expect(try HostPort(parsing: "127.0.0.1:53").addressBytes == [127, 0, 0, 1])
        #expect(try HostPort(parsing: "[::1]:53").addressBytes == Array(repeating: 0, count: 15) + [1])
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var input: String
        var defaultPort: UInt16? = nil
        var messageContains: String
        var testDescription: String { input }
    }

    static let invalid: [Invalid] = [
        .init(input: "localhost:53", messageContains: "hostnames are not accepted"),
        .init(input: "dns.example", defaultPort: 53, messageContains: "hostnames are not accepted"),
        .init(input: "127.0.0.1", messageContains: "has no port"),
        .init(input: "::1", messageContains: "has no port"),
        .init(input: "[::1]", messageContains: "has no port"),
        .init(input: "127.0.0.1:65536", messageContains: "invalid port"),
        .init(input: "127.0.0.1:", messageContains: "invalid port"),
        .init(input: "127.0.0.1:5x", messageContains: "invalid port"),
        .init(input: "127.0.0.1:-1", messageContains: "invalid port"),
        .init(input: "[::1", messageContains: "without a matching"),
        .init(input: "[::1]53", messageContains: "after \"]\""),
        .init(input: "[127.0.0.1]:53", messageContains: "only for IPv6"),
        .init(input: "256.0.0.1:53", messageContains: "not a valid"),
        .init(input: "127.1:53", messageContains: "not a valid"),
        .init(input: "[fe80::1%eth0]:53", messageContains: "zone"),
        .init(input: "", defaultPort: 53, messageContains: "empty"),
    ]

    @Test(arguments: invalid)
    func rejectsWithClearMessage(_ c: Invalid) {
        #expect {
            _ = try HostPort(parsing: c.input, defaultPort: c.defaultPort)
        } throws: { error in
            guard let error = error as? AddressParseError else { return false }
            return error.description.contains(c.messageContains)
                && error.description.contains("\"\(c.input)\"")
        }
    }
}

@Suite("IPAddress parsing")
struct IPAddressTests {
    @Test(arguments: [
        ("192.168.1.1", IPFamily.v4, "192.168.1.1"),
        ("FD00:0::53", IPFamily.v6, "fd00::53"),
        ("::ffff:1.2.3.4", IPFamily.v6, "::ffff:1.2.3.4"),
    ])
    func parses(_ input: String, _ family: IPFamily, _ canonical: String) throws {
        let address = try IPAddress(parsing: input)
        #expect(address.family == family)
        #expect(address.bytes.count == family.byteCount)
        #expect(address.description == canonical)
    }

    @Test(arguments: ["", "router.lan", "1.2.3.4:53", "[::1]", "1.2.3", "::1/128"])
    func rejects(_ input: String) {
        #expect(throws: AddressParseError.self) { _ = try IPAddress(parsing: input) }
    }
}
