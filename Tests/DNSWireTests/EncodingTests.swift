// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

@Suite("Encoding")
struct EncodingTests {
    static let owner = dnsName("www.example.com")

    static func response(answerCount: Int, edns: EDNS? = EDNS(udpPayloadSize: 1232)) -> DNSMessage {
        var header = DNSHeader(id: 0x4242)
        header.isResponse = true
        header.recursionDesired = true
        header.recursionAvailable = true
        let answers = (0..<answerCount).map { index in
            DNSRecord(name: owner, type: .a, ttl: 300, data: ipv4(192, 0, 2, UInt8(index % 256)))
        }
        return DNSMessage(header: header, questions: [DNSQuestion(name: owner, type: .a)], answers: answers, edns: edns)
    }

    @Test("three records of one owner are compressed and decode back equal")
    func compression() throws {
        let message = Self.response(answerCount: 3, edns: nil)
        let bytes = message.serialize()
        let nameLength = Self.owner.wireBytes.count  // 17
        let uncompressed = 12 + (nameLength + 4) + 3 * (nameLength + 10 + 4)
        #expect(bytes.count == 12 + (nameLength + 4) + 3 * (2 + 10 + 4))
        #expect(bytes.count < uncompressed)
        // Each owner is a pointer to the question name at offset 12.
        let pointers = stride(from: 12 + nameLength + 4, to: bytes.count, by: 16).map { Array(bytes[$0..<($0 + 2)]) }
        #expect(pointers == [[0xC0, 0x0C], [0xC0, 0x0C], [0xC0, 0x0C]])
        #expect(try DNSMessage(parsing: bytes) == message)
    }

    @Test("suffixes are shared across sections and inside RDATA")
    func suffixCompression() throws {
        let zone = dnsName("example.com")
        let message = DNSMessage(
            header: DNSHeader(id: 1, flags: 0x8400),
            questions: [DNSQuestion(name: zone, type: .mx)],
            answers: [DNSRecord(name: zone, type: .mx, ttl: 60, data: .mx(preference: 10, exchange: dnsName("mail.example.com")))],
            authorities: [DNSRecord(name: zone, type: .soa, ttl: 60, data: .soa(SOAData(
                mname: dnsName("ns1.example.com"), rname: dnsName("hostmaster.example.com"),
                serial: 2024010101, refresh: 7200, retry: 900, expire: 1_209_600, minimum: 300)))],
            additionals: [DNSRecord(name: dnsName("mail.example.com"), type: .a, ttl: 60, data: ipv4(192, 0, 2, 25))])
        let bytes = message.serialize()
        #expect(try DNSMessage(parsing: bytes) == message)
        // "example" is spelled once; every later mention is a pointer.
        let spelled = bytes.indices.filter { bytes[$0...].starts(with: Array("example".utf8)) }
        #expect(spelled.count == 1)
    }

    @Test("messages past 16 KiB only point at offsets a pointer can hold, and round-trip")
    func largeMessage() throws {
        let zone = dnsName("example.com")
        let records = (0..<2500).map { index in
            DNSRecord(name: dnsName("host\(index % 1300).example.com"), type: .a, ttl: 60, data: ipv4(10, 0, UInt8(index / 256), UInt8(index % 256)))
        }
        let message = DNSMessage(questions: [DNSQuestion(name: zone, type: .any)], answers: records)
        let encoded = message.encode()
        #expect(encoded.bytes.count > 0x4000)
        #expect(!encoded.truncated)
        #expect(try DNSMessage(parsing: encoded.bytes) == message)
        #expect(encoded.ttlOffsets.count == 2500)
    }

    @Test("TXT strings longer than 255 bytes are split, not cut")
    func longTXT() throws {
        let long = [UInt8](repeating: 0x61, count: 300) + [UInt8](repeating: 0x62, count: 300)
        let message = DNSMessage(answers: [DNSRecord(name: dnsName("a.test"), type: .txt, ttl: 1, data: .txt([long, [0x63]]))])
        let decoded = try DNSMessage(parsing: message.serialize())
        guard case .txt(let strings) = decoded.answers.first?.data else {
            Issue.record("not TXT: \(decoded.answers)")
            return
        }
        #expect(strings.map(\.count) == [255, 255, 90, 1])
        #expect(Array(strings.joined()) == long + [0x63])
    }

    @Test("a TXT record without strings is written as one empty string")
    func emptyTXT() throws {
        let message = DNSMessage(answers: [DNSRecord(name: dnsName("a.test"), type: .txt, ttl: 1, data: .txt([]))])
        let decoded = try DNSMessage(parsing: message.serialize())
        #expect(decoded.answers.first?.data == .txt([[]]))
    }

    @Test("SRV targets are never compressed (RFC 2782)")
    func srvUncompressed() throws {
        let target = dnsName("sip.example.com")
        let message = DNSMessage(
            questions: [DNSQuestion(name: dnsName("_sip._udp.example.com"), type: .srv)],
            answers: [DNSRecord(name: dnsName("_sip._udp.example.com"), type: .srv, ttl: 60, data: .srv(priority: 1, weight: 2, port: 5060, target: target))])
        let bytes = message.serialize()
        #expect(bytes.suffix(target.wireBytes.count) == ArraySlice(target.wireBytes))
        #expect(try DNSMessage(parsing: bytes) == message)
    }

    @Test("every RDATA kind round-trips", arguments: [
        DNSRecord(name: dnsName("a.test"), type: .a, ttl: 1, data: ipv4(10, 0, 0, 1)),
        DNSRecord(name: dnsName("a.test"), type: .aaaa, ttl: 2, data: .aaaa([0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1])),
        DNSRecord(name: dnsName("a.test"), type: .cname, ttl: 3, data: .name(dnsName("b.test"))),
        DNSRecord(name: dnsName("a.test"), type: .ns, ttl: 3, data: .name(dnsName("ns.a.test"))),
        DNSRecord(name: dnsName("4.3.2.1.in-addr.arpa"), type: .ptr, ttl: 3, data: .name(dnsName("host.test"))),
        DNSRecord(name: dnsName("a.test"), type: DNSType(39), ttl: 3, data: .name(dnsName("b.test"))),
        DNSRecord(name: dnsName("a.test"), type: .mx, ttl: 4, data: .mx(preference: 5, exchange: dnsName("mx.a.test"))),
        DNSRecord(name: dnsName("a.test"), type: .txt, ttl: 5, data: .txt([Array("v=spf1 -all".utf8), [], [0, 255, 34]])),
        DNSRecord(name: dnsName("a.test"), type: .soa, ttl: 6, data: .soa(SOAData(
            mname: dnsName("ns.a.test"), rname: dnsName("root.a.test"), serial: .max, refresh: 1, retry: 2, expire: 3, minimum: 4))),
        DNSRecord(name: dnsName("_x._tcp.a.test"), type: .srv, ttl: 7, data: .srv(priority: 0, weight: 65535, port: 443, target: .root)),
        DNSRecord(name: dnsName("a.test"), type: .caa, ttl: 8, data: .opaque([0, 5] + Array("issueca.test".utf8))),
        DNSRecord(name: dnsName("a.test"), type: DNSType(65280), rclass: DNSClass(3), ttl: 9, data: .opaque([])),
    ])
    func rdataRoundTrip(_ record: DNSRecord) throws {
        let message = DNSMessage(questions: [DNSQuestion(name: record.name, type: record.type)], answers: [record, record])
        #expect(try DNSMessage(parsing: message.serialize()) == message)
    }

    @Test("answers over maxSize become a TC=1 stub keeping question and OPT", arguments: [512, 600, 1232])
    func truncation(maxSize: Int) throws {
        let message = Self.response(answerCount: 100)
        #expect(!message.encode().truncated)
        let encoded = message.encode(maxSize: maxSize)
        #expect(encoded.truncated)
        #expect(encoded.bytes.count <= maxSize)
        #expect(encoded.ttlOffsets.isEmpty)
        let decoded = try DNSMessage(parsing: encoded.bytes)
        #expect(decoded.header.truncated)
        #expect(decoded.header.id == 0x4242)
        #expect(decoded.questions == message.questions)
        #expect(decoded.answers.isEmpty)
        #expect(decoded.edns == message.edns)
    }

    @Test("a message that fits exactly is not truncated")
    func exactFit() {
        let message = Self.response(answerCount: 5)
        let size = message.serialize().count
        #expect(!message.encode(maxSize: size).truncated)
        #expect(message.encode(maxSize: size - 1).truncated)
    }

    @Test("ttlOffsets point at every record's TTL")
    func ttlOffsets() {
        let message = Self.response(answerCount: 4)
        let encoded = message.encode()
        #expect(encoded.ttlOffsets.count == 4)
        for offset in encoded.ttlOffsets {
            #expect(Array(encoded.bytes[offset..<(offset + 4)]) == [0, 0, 1, 44])
        }
    }

    @Test("Extended DNS Errors encode and decode", arguments: [
        ([ExtendedDNSError.staleAnswer], ""),
        ([ExtendedDNSError.noReachableAuthority, ExtendedDNSError.networkError], "upstream down"),
        ([UInt16](), ""),
    ])
    func extendedErrors(codes: [UInt16], text: String) throws {
        var message = Self.response(answerCount: 1)
        message.edns?.options = codes.map { EDNS.extendedError($0, text: text) } + [EDNS.Option(code: 12, data: [0, 0])]
        let decoded = try DNSMessage(parsing: message.serialize())
        let edns = try #require(decoded.edns)
        #expect(edns.extendedErrorCodes == codes)
        for option in edns.options where option.code == ExtendedDNSError.optionCode {
            #expect(String(decoding: option.data.dropFirst(2), as: UTF8.self) == text)
        }
        #expect(decoded == message)
    }

    @Test("an EDE option shorter than its info code is ignored")
    func shortEDE() {
        let edns = EDNS(options: [EDNS.Option(code: 15, data: [3])])
        #expect(edns.extendedErrorCodes.isEmpty)
    }

    @Test("makeQuery writes one question and one OPT last with the DO bit", arguments: [true, false])
    func makeQuery(dnssecOK: Bool) throws {
        let question = DNSQuestion(name: dnsName("Www.Example.COM"), type: .aaaa)
        let bytes = DNSMessage.makeQuery(id: 0xABCD, question: question, dnssecOK: dnssecOK)
        let message = try DNSMessage(parsing: bytes)
        #expect(message.header.id == 0xABCD)
        #expect(message.header.recursionDesired)
        #expect(!message.header.isResponse)
        #expect(message.questions.count == 1)
        #expect(message.questions[0].name.hasIdenticalCase(to: question.name))
        #expect(message.questions[0].type == .aaaa)
        #expect(message.answers.isEmpty && message.authorities.isEmpty && message.additionals.isEmpty)
        #expect(bytes[10...11] == [0, 1])  // ARCOUNT: exactly the OPT
        let edns = try #require(message.edns)
        #expect(edns.dnssecOK == dnssecOK)
        #expect(edns.udpPayloadSize == 1232)
        #expect(edns.options.isEmpty)
        // The last 11 bytes are the bare OPT record.
        let opt = Array(bytes.suffix(11))
        #expect(opt[0...2] == [0, 0, 41])
        #expect(opt[7] == (dnssecOK ? 0x80 : 0))
    }

    @Test("makeQuery without EDNS has no OPT")
    func makeQueryPlain() throws {
        let bytes = DNSMessage.makeQuery(id: 1, question: DNSQuestion(name: dnsName("a.test"), type: .a), udpPayloadSize: nil, recursionDesired: false)
        let message = try DNSMessage(parsing: bytes)
        #expect(message.edns == nil)
        #expect(!message.header.recursionDesired)
        #expect(bytes.count == 12 + 8 + 4)
    }

    @Test("the writer's primitives are big-endian")
    func writerPrimitives() {
        var writer = DNSMessageWriter()
        writer.writeUInt8(1)
        writer.writeUInt16(0x0203)
        writer.writeUInt32(0x0405_0607)
        #expect(writer.bytes == [1, 2, 3, 4, 5, 6, 7])
    }

    @Test("record descriptions are zone-file style", arguments: [
        (DNSRecord(name: dnsName("a.test"), type: .aaaa, ttl: 5, data: .aaaa([0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1])), "a.test. 5 IN AAAA 2001:db8::1"),
        (DNSRecord(name: dnsName("a.test"), type: .txt, ttl: 5, data: .txt([Array("say \"hi\"".utf8)])), "a.test. 5 IN TXT \"say \\\"hi\\\"\""),
        (DNSRecord(name: dnsName("a.test"), type: DNSType(65280), ttl: 5, data: .opaque([0xAB, 1])), "a.test. 5 IN TYPE65280 \\# 2 AB01"),
        (DNSRecord(name: dnsName("a.test"), type: .mx, ttl: 5, data: .mx(preference: 10, exchange: dnsName("mx.test"))), "a.test. 5 IN MX 10 mx.test."),
    ])
    func descriptions(record: DNSRecord, text: String) {
        #expect(record.description == text)
    }

    @Test("IPv6 text follows RFC 5952", arguments: [
        ([UInt8](repeating: 0, count: 16), "::"),
        ([UInt8](repeating: 0, count: 15) + [1], "::1"),
        ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8:0:1::1"),
        ([0x20, 0x01, 0x0D, 0xB8, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:1:1:1:1:1:1"),
        ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], "2001:db8:0:0:1::"),
        ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "2001:db8::1:0:0:1"),
    ])
    func ipv6Text(bytes: [UInt8], text: String) {
        #expect(formatIPv6(bytes) == text)
    }
}
