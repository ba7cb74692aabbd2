// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

@Suite("Queries for encrypted streams")
struct StreamQueryTests {
    @Test("padded to a multiple of 128 octets, keepalive asked for, question and DO intact", arguments: [
        "a.", "www.example.com.", "a-much-longer-label-than-usual.and-another-one.example.org.",
        String(repeating: "x", count: 63) + "." + String(repeating: "y", count: 63) + ".example.",
    ])
    func padded(name: String) throws {
        let question = DNSQuestion(name: dnsName(name), type: .aaaa)
        let bytes = DNSMessage.makeStreamQuery(id: 0x1234, question: question, dnssecOK: true)
        #expect(bytes.count % 128 == 0)
        let parsed = try ParsedQuery(bytes: bytes)
        #expect(parsed.header.id == 0x1234)
        #expect(parsed.header.recursionDesired)
        #expect(parsed.question == question)
        let edns = try #require(parsed.edns)
        #expect(edns.dnssecOK)
        #expect(edns.options.map(\.code) == [EDNS.tcpKeepaliveOptionCode, EDNS.paddingOptionCode])
        #expect(edns.options[0].data.isEmpty)
        #expect(edns.options[1].data.allSatisfy { $0 == 0 })
        #expect(edns.tcpKeepaliveTimeout == nil)
    }

    @Test("a server's keepalive timeout is read in units of 100 ms; a malformed one is ignored")
    func keepalive() {
        #expect(EDNS(options: [EDNS.Option(code: 11, data: [0x01, 0x2C])]).tcpKeepaliveTimeout == 300)
        #expect(EDNS(options: [EDNS.Option(code: 11, data: [0x01])]).tcpKeepaliveTimeout == nil)
        #expect(EDNS(options: []).tcpKeepaliveTimeout == nil)
    }
}
