// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

@Suite("StoredAnswer")
struct StoredAnswerTests {
    static let stored = dnsName("www.example.com")
    static let client = dnsName("WwW.eXaMpLe.CoM")

    /// An upstream answer: CNAME (TTL 100) → A (TTL 300), with an authority NS (TTL 3600).
    static func upstream(answerCount: Int = 1, flags: UInt16 = 0x81A0) -> DNSMessage {
        let target = dnsName("web.example.com")
        var answers = [DNSRecord(name: stored, type: .cname, ttl: 100, data: .name(target))]
        for index in 0..<answerCount {
            answers.append(DNSRecord(name: target, type: .a, ttl: 300, data: ipv4(192, 0, 2, UInt8(index % 256))))
        }
        return DNSMessage(
            header: DNSHeader(id: 0x5555, flags: flags),
            questions: [DNSQuestion(name: stored, type: .a)],
            answers: answers,
            authorities: [DNSRecord(name: dnsName("example.com"), type: .ns, ttl: 3600, data: .name(dnsName("ns.example.com")))],
            edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
    }

    static func answer(_ message: DNSMessage = upstream()) throws -> StoredAnswer {
        try #require(StoredAnswer(message: message))
    }

    static func render(
        _ answer: StoredAnswer, id: UInt16 = 0xA1B2, name: DNSName = client, flags: UInt16 = 0x0100,
        edns: EDNS? = nil, ttl: StoredAnswer.TTLMode = .countDown(elapsedSeconds: 0), errors: [UInt16] = [], maxSize: Int = 65535
    ) throws -> DNSMessage {
        let bytes = answer.render(id: id, clientQuestionName: name.wireBytes, queryFlags: flags, clientEDNS: edns, ttl: ttl, extendedErrors: errors, maxSize: maxSize)
        #expect(bytes.count <= answer.maximumRenderedSize(edeCount: errors.count))
        return try DNSMessage(parsing: bytes)
    }

    @Test("stores without OPT, ID 0, and the smallest TTL")
    func storage() throws {
        let answer = try Self.answer()
        #expect(answer.bytes[0...1] == [0, 0])
        #expect(answer.ttlOffsets.count == 3)
        #expect(answer.minimumTTL == 100)
        #expect(answer.rcode == .noError)
        #expect(answer.questionNameLength == Self.stored.wireBytes.count)
        #expect(answer.isWellFormed)
        let decoded = try DNSMessage(parsing: answer.bytes)
        #expect(decoded.edns == nil)
        #expect(decoded.answers == Self.upstream().answers)
    }

    @Test("messages without exactly one question are not stored; fallbackTTL applies without records")
    func storable() {
        #expect(StoredAnswer(message: DNSMessage()) == nil)
        let two = DNSMessage(questions: [DNSQuestion(name: Self.stored, type: .a), DNSQuestion(name: Self.stored, type: .aaaa)])
        #expect(StoredAnswer(message: two) == nil)
        let empty = DNSMessage(questions: [DNSQuestion(name: Self.stored, type: .a)])
        #expect(StoredAnswer(message: empty, fallbackTTL: 42)?.minimumTTL == 42)
    }

    @Test("render patches the ID and keeps the client's question case")
    func idAndCase() throws {
        let message = try Self.render(Self.answer())
        #expect(message.header.id == 0xA1B2)
        #expect(message.header.isResponse && message.header.recursionAvailable)
        #expect(message.questions.count == 1)
        #expect(message.questions[0].name.hasIdenticalCase(to: Self.client))
        #expect(message.answers.count == 2)
    }

    @Test("RD and CD are copied from the query; AD and rcode come from the stored answer; AA is cleared", arguments: [
        (UInt16(0x0000), false, false), (0x0100, true, false), (0x0010, false, true), (0x0110, true, true), (0xFFEF, true, false),
    ] as [(UInt16, Bool, Bool)])
    func flags(queryFlags: UInt16, rd: Bool, cd: Bool) throws {
        let message = try Self.render(Self.answer(Self.upstream(flags: 0x85A0)), flags: queryFlags)
        #expect(!message.header.authoritative)  // forwarded data: we are not the authority
        #expect(message.header.recursionDesired == rd)
        #expect(message.header.checkingDisabled == cd)
        #expect(message.header.authenticData)  // stored answer had AD
        #expect(!message.header.truncated)
        #expect(message.header.opcode == .query)
        #expect(message.rcode == .noError)
    }

    @Test("an NXDOMAIN keeps its rcode")
    func nxdomain() throws {
        var upstream = Self.upstream(answerCount: 0)
        upstream.answers = []
        upstream.rcode = .nxDomain
        let message = try Self.render(Self.answer(upstream))
        #expect(message.rcode == .nxDomain)
        #expect(message.authorities.count == 1)
    }

    @Test("countDown subtracts the elapsed seconds, never below 0", arguments: [
        (UInt32(0), [UInt32(100), 300, 3600]), (30, [70, 270, 3570]), (100, [0, 200, 3500]), (301, [0, 0, 3299]), (UInt32.max, [0, 0, 0]),
    ] as [(UInt32, [UInt32])])
    func countDown(elapsed: UInt32, expected: [UInt32]) throws {
        let message = try Self.render(Self.answer(), ttl: .countDown(elapsedSeconds: elapsed))
        #expect((message.answers + message.authorities).map(\.ttl) == expected)
    }

    @Test("fixed sets every TTL", arguments: [UInt32(0), 30, 86400])
    func fixed(value: UInt32) throws {
        let message = try Self.render(Self.answer(), ttl: .fixed(value))
        #expect((message.answers + message.authorities).allSatisfy { $0.ttl == value })
    }

    @Test("rendering twice from one entry does not age it twice")
    func storedBytesUntouched() throws {
        let answer = try Self.answer()
        _ = try Self.render(answer, ttl: .countDown(elapsedSeconds: 50))
        let second = try Self.render(answer, ttl: .countDown(elapsedSeconds: 50))
        #expect(second.answers.map(\.ttl) == [50, 250])
    }

    @Test("OPT only when the client sent EDNS, echoing DO", arguments: [nil, EDNS(udpPayloadSize: 512, dnssecOK: false), EDNS(udpPayloadSize: 4096, dnssecOK: true)])
    func opt(clientEDNS: EDNS?) throws {
        let message = try Self.render(Self.answer(), edns: clientEDNS)
        if let clientEDNS {
            let edns = try #require(message.edns)
            #expect(edns.dnssecOK == clientEDNS.dnssecOK)
            #expect(edns.udpPayloadSize == 1232)
            #expect(edns.options.isEmpty)
        } else {
            #expect(message.edns == nil)
        }
        #expect(message.additionals.isEmpty)
    }

    @Test("Extended DNS Errors appear when the client sent EDNS", arguments: [
        [ExtendedDNSError.staleAnswer], [ExtendedDNSError.staleAnswer, ExtendedDNSError.networkError], [UInt16](),
    ])
    func extendedErrors(codes: [UInt16]) throws {
        let message = try Self.render(Self.answer(), edns: EDNS(), ttl: .fixed(30), errors: codes)
        #expect(message.edns?.extendedErrorCodes == codes)
        let without = try Self.render(Self.answer(), edns: nil, errors: codes)
        #expect(without.edns == nil)
    }

    @Test("an additional record keeps its place before the appended OPT")
    func additionalsAndOPT() throws {
        var upstream = Self.upstream()
        upstream.additionals = [DNSRecord(name: dnsName("ns.example.com"), type: .a, ttl: 10, data: ipv4(192, 0, 2, 53))]
        let message = try Self.render(Self.answer(upstream), edns: EDNS(dnssecOK: true), errors: [ExtendedDNSError.staleAnswer])
        #expect(message.additionals == upstream.additionals)
        #expect(message.edns?.extendedErrorCodes == [ExtendedDNSError.staleAnswer])
    }

    @Test("too large for maxSize: a TC=1 stub with the question and no records", arguments: [nil, EDNS(dnssecOK: true)])
    func truncated(clientEDNS: EDNS?) throws {
        let answer = try Self.answer(Self.upstream(answerCount: 60))
        #expect(answer.bytes.count > 512)
        let bytes = answer.render(id: 3, clientQuestionName: Self.client.wireBytes, queryFlags: 0x0100, clientEDNS: clientEDNS, ttl: .fixed(5), extendedErrors: [ExtendedDNSError.staleAnswer], maxSize: 512)
        #expect(bytes.count <= 512)
        let message = try DNSMessage(parsing: bytes)
        #expect(message.header.truncated)
        #expect(message.header.id == 3)
        #expect(message.header.recursionDesired)
        #expect(message.questions.count == 1)
        #expect(message.questions[0].name.hasIdenticalCase(to: Self.client))
        #expect(message.answers.isEmpty && message.authorities.isEmpty && message.additionals.isEmpty)
        #expect(message.edns?.dnssecOK == clientEDNS?.dnssecOK)
    }

    @Test("the OPT counts towards maxSize")
    func optCountsTowardsSize() throws {
        let answer = try Self.answer()
        let withOPT = answer.bytes.count + 11 + 6
        let fits = try Self.render(answer, edns: EDNS(), errors: [3], maxSize: withOPT)
        #expect(!fits.header.truncated)
        let cut = try Self.render(answer, edns: EDNS(), errors: [3], maxSize: withOPT - 1)
        #expect(cut.header.truncated)
    }

    @Test("a client name of another length leaves the stored spelling")
    func mismatchedNameLength() throws {
        let message = try Self.render(Self.answer(), name: dnsName("other.test"))
        #expect(message.questions[0].name.hasIdenticalCase(to: Self.stored))
    }

    @Test("the parts initialiser restores an equivalent entry")
    func restore() throws {
        let answer = try Self.answer()
        let copy = StoredAnswer(bytes: answer.bytes, ttlOffsets: answer.ttlOffsets, questionNameLength: answer.questionNameLength, minimumTTL: answer.minimumTTL, rcode: answer.rcode)
        #expect(copy.isWellFormed)
        let message = try Self.render(copy, ttl: .countDown(elapsedSeconds: 10))
        #expect(message.answers.map(\.ttl) == [90, 290])
    }

    /// Restored parts that pass the old length checks but would trap or corrupt in `render`.
    static func lyingParts() -> [(String, StoredAnswer)] {
        let good = StoredAnswer(message: upstream())
        guard let good else { return [] }
        var maxAdditional = good.bytes
        maxAdditional[10] = 0xFF
        maxAdditional[11] = 0xFF
        var withOPT = upstream()
        withOPT.edns = nil
        withOPT.additionals = [DNSRecord(name: .root, type: .opt, rclass: DNSClass(1232), ttl: 0, data: .opaque([]))]
        let optBytes = withOPT.serialize()
        return [
            ("ARCOUNT 65535", StoredAnswer(bytes: maxAdditional, ttlOffsets: good.ttlOffsets, questionNameLength: good.questionNameLength, minimumTTL: 1, rcode: .noError)),
            ("question length off by one", StoredAnswer(bytes: good.bytes, ttlOffsets: good.ttlOffsets, questionNameLength: good.questionNameLength - 1, minimumTTL: 1, rcode: .noError)),
            ("bytes that do not parse", StoredAnswer(bytes: Array(good.bytes.dropLast()), ttlOffsets: [], questionNameLength: good.questionNameLength, minimumTTL: 1, rcode: .noError)),
            ("stored OPT record", StoredAnswer(bytes: optBytes, ttlOffsets: [], questionNameLength: good.questionNameLength, minimumTTL: 1, rcode: .noError)),
            ("TTL offset not at a TTL", StoredAnswer(bytes: good.bytes, ttlOffsets: good.ttlOffsets.map { $0 + 1 }, questionNameLength: good.questionNameLength, minimumTTL: 1, rcode: .noError)),
        ]
    }

    @Test("restored parts that disagree with their bytes are not well formed")
    func lyingRestoredParts() {
        let cases = Self.lyingParts()
        #expect(cases.count == 5)
        for (label, answer) in cases {
            #expect(!answer.isWellFormed, "\(label)")
        }
    }

    @Test("an extended rcode survives storage when the client speaks EDNS")
    func extendedRCode() throws {
        var upstream = Self.upstream(answerCount: 0)
        upstream.answers = []
        upstream.rcode = .badVersion
        let answer = try Self.answer(upstream)
        #expect(answer.rcode == .badVersion)
        let message = try Self.render(answer, edns: EDNS())
        #expect(message.rcode == .badVersion)
    }

    @Test("inconsistent parts are not well formed", arguments: [
        ("TTL offset past the end", [UInt8](repeating: 0, count: 40), [UInt16(38)], 5),
        ("TTL offset in the header", [UInt8](repeating: 0, count: 40), [4], 5),
        ("bytes shorter than the question", [UInt8](repeating: 0, count: 16), [], 5),
        ("empty question name", [UInt8](repeating: 0, count: 40), [], 0),
    ])
    func malformedParts(label: String, bytes: [UInt8], offsets: [UInt16], nameLength: Int) {
        let answer = StoredAnswer(bytes: bytes, ttlOffsets: offsets, questionNameLength: nameLength, minimumTTL: 0, rcode: .noError)
        #expect(!answer.isWellFormed, "\(label)")
    }
}
