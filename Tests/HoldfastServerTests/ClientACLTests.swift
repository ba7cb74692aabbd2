// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc
import HoldfastResolver
import NIOCore
import NetAddress
import Testing

@testable import HoldfastServer

/// `server.allow` as the server checks it: clients as the sockets deliver them (plain IPv4,
/// IPv6, IPv4-mapped IPv6 on a dual-stack socket), matched by NetAddress's `IPPrefixList`.
@Suite("Client ACL")
struct ClientACLTests {
    static func acl(_ prefixes: [String]) throws -> ClientACL {
        ClientACL(try IPPrefixList(parsing: prefixes))
    }

    /// A client as `ClientEndpoint(SocketAddress)` builds it for TCP, from address text.
    static func client(_ address: String) throws -> ClientEndpoint {
        ClientEndpoint(try SocketAddress(ipAddress: address, port: 5300))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var allow: [String]
        var client: String
        var allowed: Bool
        var testDescription: String { "\(allow) \(allowed ? "allows" : "refuses") \(client)" }
    }

    static let cases: [Case] = [
        .init(allow: ["127.0.0.0/8"], client: "127.0.0.1", allowed: true),
        .init(allow: ["127.0.0.0/8"], client: "128.0.0.1", allowed: false),
        // IPv4 prefixes match IPv4-mapped clients of an IPv6 socket.
        .init(allow: ["127.0.0.0/8"], client: "::ffff:127.0.0.9", allowed: true),
        .init(allow: ["10.1.2.3/8"], client: "10.200.0.1", allowed: true),
        .init(allow: ["192.0.2.0/24"], client: "192.0.3.1", allowed: false),
        .init(allow: ["::1/128"], client: "::1", allowed: true),
        .init(allow: ["::1/128"], client: "::2", allowed: false),
        .init(allow: ["fd00::/8"], client: "fdff::1", allowed: true),
        .init(allow: ["fd00::/8"], client: "fe00::1", allowed: false),
        // IPv6 prefixes never match IPv4 clients (as NetAddress documents): `::/0` is every
        // IPv6 client, and allowing everyone takes both families.
        .init(allow: ["::/0"], client: "2001:db8::1", allowed: true),
        .init(allow: ["::/0"], client: "127.0.0.1", allowed: false),
        .init(allow: ["::/0"], client: "::ffff:127.0.0.1", allowed: false),
        .init(allow: ["0.0.0.0/0"], client: "2001:db8::1", allowed: false),
        .init(allow: ["0.0.0.0/0", "::/0"], client: "203.0.113.5", allowed: true),
        .init(allow: ["0.0.0.0/0", "::/0"], client: "2001:db8::5", allowed: true),
        // A prefix written as IPv4-mapped IPv6 is the IPv4 prefix it means.
        .init(allow: ["::ffff:10.0.0.0/104"], client: "10.9.9.9", allowed: true),
        .init(allow: [], client: "127.0.0.1", allowed: false),
    ]

    @Test(arguments: cases)
    func allows(_ c: Case) throws {
        #expect(try Self.acl(c.allow).allows(Self.client(c.client)) == c.allowed)
    }

    /// The datagram path builds the client from a `sockaddr_in`, the dual-stack path from a
    /// `sockaddr_in6`: both spellings of one IPv4 client get the same verdict.
    @Test func socketForms() throws {
        let acl = try Self.acl(["127.0.0.0/8"])
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        #expect(acl.allows(ClientEndpoint(v4)))
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        withUnsafeMutableBytes(of: &v6.sin6_addr) { raw in
            for (index, byte) in ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1] as [UInt8]).enumerated() {
                raw[index] = byte
            }
        }
        #expect(acl.allows(ClientEndpoint(v6)))
    }

    /// `SocketAddress(HostPort)` builds the listen address from the validated bytes.
    @Test func socketAddressFromHostPort() throws {
        for text in ["127.0.0.1:5353", "[::1]:53", "[fd00::53]:0", "0.0.0.0:53"] {
            let hostPort = try HostPort(parsing: text)
            let address = SocketAddress(hostPort)
            #expect(address == (try SocketAddress(ipAddress: hostPort.host, port: Int(hostPort.port))), "\(text)")
            #expect(address.port == Int(hostPort.port))
            #expect(address.ipAddress == hostPort.host)
        }
    }
}
