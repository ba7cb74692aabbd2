// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

/// Packets written out byte by byte as a resolver sends and receives them.
enum RealPackets {
    /// `dig www.example.com A` with EDNS 1232, AD set, and an 8-byte client cookie.
    static let query: [UInt8] = [
        0xBE, 0xEF, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 0x03, 0x63, 0x6F, 0x6D, 0x00,
        0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C,
        0x00, 0x0A, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    ]

    /// The answer: a CNAME to web.example.com, its A record, an NS in authority, and OPT;
    /// every repeated name is a compression pointer.
    static let response: [UInt8] = [
        0xBE, 0xEF, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01,
        // 12: www.example.com A IN
        0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 0x03, 0x63, 0x6F, 0x6D, 0x00,
        0x00, 0x01, 0x00, 0x01,
        // 33: www.example.com (ptr 12) CNAME 3600 → "web" + ptr 16 (example.com), which starts at 45
        0xC0, 0x0C, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x06,
        0x03, 0x77, 0x65, 0x62, 0xC0, 0x10,
        // 51: web.example.com (ptr 45) A 300 93.184.215.14
        0xC0, 0x2D, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2C, 0x00, 0x04, 93, 184, 215, 14,
        // 67: example.com (ptr 16) NS 86400 a.iana-servers.net
        0xC0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80, 0x00, 0x14,
        0x01, 0x61, 0x0C, 0x69, 0x61, 0x6E, 0x61, 0x2D, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x73,
        0x03, 0x6E, 0x65, 0x74, 0x00,
        // 99: OPT, payload 1232
        0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]
}

@Suite("Real packets")
struct RealPacketTests {
    @Test("a dig query decodes")
    func query() throws {
        let message = try DNSMessage(parsing: RealPackets.query)
        #expect(message.header.id == 0xBEEF)
        #expect(!message.header.isResponse)
        #expect(message.header.recursionDesired)
        #expect(message.header.authenticData)
        #expect(message.questions == [DNSQuestion(name: dnsName("www.example.com"), type: .a)])
        #expect(message.answers.isEmpty && message.authorities.isEmpty && message.additionals.isEmpty)
        let edns = try #require(message.edns)
        #expect(edns.udpPayloadSize == 1232)
        #expect(!edns.dnssecOK)
        #expect(edns.options == [EDNS.Option(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])
    }

    @Test("a compressed response decodes")
    func response() throws {
        let message = try DNSMessage(parsing: RealPackets.response)
        #expect(message.header.isResponse && message.header.recursionAvailable)
        #expect(message.rcode == .noError)
        let www = dnsName("www.example.com")
        let web = dnsName("web.example.com")
        #expect(message.answers == [
            DNSRecord(name: www, type: .cname, ttl: 3600, data: .name(web)),
            DNSRecord(name: web, type: .a, ttl: 300, data: ipv4(93, 184, 215, 14)),
        ])
        #expect(message.authorities == [
            DNSRecord(name: dnsName("example.com"), type: .ns, ttl: 86400, data: .name(dnsName("a.iana-servers.net"))),
        ])
        #expect(message.edns == EDNS(udpPayloadSize: 1232))
        #expect(message.answers[1].description == "web.example.com. 300 IN A 93.184.215.14")
    }

    @Test("re-encoding reproduces the packets byte for byte", arguments: [RealPackets.query, RealPackets.response])
    func reencode(_ bytes: [UInt8]) throws {
        let message = try DNSMessage(parsing: bytes)
        #expect(message.serialize() == bytes)
    }

    @Test("ParsedQuery reads the dig query")
    func parsedQuery() throws {
        let query = try ParsedQuery(bytes: RealPackets.query)
        #expect(query.header.id == 0xBEEF)
        #expect(query.questionCount == 1)
        #expect(query.question == DNSQuestion(name: dnsName("www.example.com"), type: .a))
        #expect(query.edns?.options.first?.code == 10)
        #expect(query.udpResponseLimit() == 1232)
    }
}
