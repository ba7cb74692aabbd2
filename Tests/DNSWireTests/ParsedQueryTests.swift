// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

@Suite("ParsedQuery")
struct ParsedQueryTests {
    static let name = dnsName("WwW.ExAmple.Com")

    static func query(edns: EDNS?, flags: UInt16 = 0x0100) -> [UInt8] {
        let message = DNSMessage(header: DNSHeader(id: 0x7777, flags: flags), questions: [DNSQuestion(name: name, type: .mx)], edns: edns)
        return message.serialize()
    }

    @Test("without OPT: no EDNS and a 512-byte limit")
    func withoutOPT() throws {
        let query = try ParsedQuery(bytes: Self.query(edns: nil))
        #expect(query.header.id == 0x7777)
        #expect(query.header.recursionDesired)
        #expect(query.questionCount == 1)
        #expect(query.edns == nil)
        #expect(query.udpResponseLimit() == 512)
        #expect(query.udpResponseLimit(cap: 4096) == 512)
    }

    @Test("the question keeps the client's case")
    func questionCase() throws {
        let query = try ParsedQuery(bytes: Self.query(edns: nil))
        let question = try #require(query.question)
        #expect(question.type == .mx && question.qclass == .in)
        #expect(question.name.hasIdenticalCase(to: Self.name))
    }

    @Test("the DO bit and options are read", arguments: [true, false])
    func doBit(dnssecOK: Bool) throws {
        let edns = EDNS(udpPayloadSize: 4096, dnssecOK: dnssecOK, options: [EDNS.Option(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        let query = try ParsedQuery(bytes: Self.query(edns: edns))
        #expect(query.edns == edns)
    }

    @Test("udpResponseLimit clamps the advertised size to [512, cap]", arguments: [
        (UInt16(0), 1232, 512), (100, 1232, 512), (512, 1232, 512), (1000, 1232, 1000), (1232, 1232, 1232),
        (1400, 1232, 1232), (4096, 1232, 1232), (65535, 1232, 1232), (1400, 4096, 1400),
    ])
    func limit(advertised: UInt16, cap: Int, expected: Int) throws {
        let query = try ParsedQuery(bytes: Self.query(edns: EDNS(udpPayloadSize: advertised)))
        #expect(query.udpResponseLimit(cap: cap) == expected)
    }

    @Test("QDCOUNT 0 parses with no question and still finds the OPT")
    func noQuestion() throws {
        let bytes = DNSMessage(header: DNSHeader(id: 9), edns: EDNS(udpPayloadSize: 2048)).serialize()
        let query = try ParsedQuery(bytes: bytes)
        #expect(query.questionCount == 0)
        #expect(query.question == nil)
        #expect(query.edns?.udpPayloadSize == 2048)
    }

    @Test("QDCOUNT 2 parses the header only, with no question", arguments: [true, false])
    func twoQuestions(withEDNS: Bool) throws {
        let message = DNSMessage(
            header: DNSHeader(id: 10, flags: 0x0100),
            questions: [DNSQuestion(name: dnsName("a.test"), type: .a), DNSQuestion(name: dnsName("b.test"), type: .a)],
            edns: withEDNS ? EDNS() : nil)
        let query = try ParsedQuery(bytes: message.serialize())
        #expect(query.header.id == 10)
        #expect(query.questionCount == 2)
        #expect(query.question == nil)
    }

    @Test("records before the additional section are skipped; non-OPT additionals are ignored")
    func skipsRecords() throws {
        let name = dnsName("a.test")
        let message = DNSMessage(
            header: DNSHeader(id: 11),
            questions: [DNSQuestion(name: name, type: .a)],
            answers: [DNSRecord(name: name, type: .a, ttl: 1, data: ipv4(1, 2, 3, 4))],
            authorities: [DNSRecord(name: name, type: .ns, ttl: 1, data: .name(dnsName("ns.a.test")))],
            additionals: [DNSRecord(name: dnsName("ns.a.test"), type: .a, ttl: 1, data: ipv4(5, 6, 7, 8))],
            edns: EDNS(udpPayloadSize: 1400, dnssecOK: true))
        let query = try ParsedQuery(bytes: message.serialize())
        #expect(query.question?.name == name)
        #expect(query.edns?.dnssecOK == true)
        #expect(query.edns?.udpPayloadSize == 1400)
    }

    @Test("the buffer initialiser agrees with the array one")
    func bufferInit() throws {
        let bytes = RealPackets.query
        let fromBuffer = try bytes.withUnsafeBytes { buffer throws(DNSWireError) in try ParsedQuery(buffer: buffer) }
        #expect(fromBuffer.question == (try ParsedQuery(bytes: bytes)).question)
        #expect(fromBuffer.edns == (try ParsedQuery(bytes: bytes)).edns)
    }
}
