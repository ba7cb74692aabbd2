// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import PropertyBased
import Testing
@testable import DNSWire

/// The stored form made from an upstream reply's own bytes (issue 25): what the scan accepts,
/// that it agrees with the full decoder, and that what it stores renders for clients as a
/// decoded-and-re-encoded answer does.
@Suite("ScannedReply")
struct ScannedReplyTests {
    /// An nsd-style reply to `WwW.ExAmPlE.CoM A` (0x20 case echoed), names compressed:
    /// CNAME (TTL 100) → A (TTL 300), an NS in the authority section, OPT last.
    static func reply(flags: UInt16 = 0x8180, dnssecOK: Bool = true) -> [UInt8] {
        packet(id: 0x4242, flags: flags, qd: 1, an: 2, ns: 1, ar: 1) { p in
            p.name("WwW.ExAmPlE.CoM").u16(1).u16(1)
            // Answer 1: owner → question; target "Web" + pointer to "ExAmPlE.CoM" (offset 16).
            p.pointer(12)
            let cnameData = p.bytes.count + 10
            p.rr(type: 5, ttl: 100, rdata: [3] + Array("Web".utf8) + [0xC0, 16])
            // Answer 2: owner → the CNAME target.
            p.pointer(cnameData).rr(type: 1, ttl: 300, rdata: [192, 0, 2, 1])
            // Authority: example.com NS NS1.example.com.
            p.pointer(16).rr(type: 2, ttl: 3600, rdata: [3] + Array("NS1".utf8) + [0xC0, 16])
            p.opt(payload: 1232, dnssecOK: dnssecOK)
        }
    }

    /// NXDOMAIN for `Gone.ExAmPlE.CoM A`: SOA (TTL 900, MINIMUM 60) in the authority section.
    static func nxdomain() -> [UInt8] {
        packet(id: 7, flags: 0x8183, qd: 1, ns: 1, ar: 1) { p in
            p.name("Gone.ExAmPlE.CoM").u16(1).u16(1)
            p.pointer(17)
            p.rr(type: 6, ttl: 900, rdata: [3] + Array("NS1".utf8) + [0xC0, 17] + [4] + Array("Host".utf8) + [0xC0, 17]
                 + [0, 0, 0, 1, 0, 0, 14, 16, 0, 0, 2, 88, 0, 9, 58, 128, 0, 0, 0, 60])
            p.opt()
        }
    }

    static func allNames(_ message: DNSMessage) -> [DNSName] {
        var names = message.questions.map(\.name)
        for record in message.answers + message.authorities + message.additionals {
            names.append(record.name)
            switch record.data {
            case .name(let name), .mx(_, let name), .srv(_, _, _, let name): names.append(name)
            case .soa(let soa): names += [soa.mname, soa.rname]
            default: break
            }
        }
        return names
    }

    @Test("the stored form is the reply's bytes: ID 0, OPT cut off, names lowercased, same records")
    func storedForm() throws {
        let bytes = Self.reply()
        let scanned = try #require(ScannedReply(reply: bytes))
        #expect(scanned.bytes.count == bytes.count - 11)
        #expect(scanned.bytes[0...1] == [0, 0])
        #expect(scanned.bytes[2...9] == bytes[2...9])
        #expect(scanned.bytes[10...11] == [0, 0])
        #expect(scanned.questionNameLength == 17)
        #expect(scanned.questionType == .a && scanned.questionClass == .in)
        #expect(scanned.rcode == .noError && !scanned.wasTruncated)
        #expect(scanned.answerCount == 2 && scanned.answersQuestion)
        #expect(scanned.authoritySOA == nil)
        #expect(scanned.ttlOffsets.map(Int.init) == (try StoredAnswer.recordTTLOffsets(in: scanned.bytes)))
        #expect(scanned.minimumTTL == 100)

        var original = try DNSMessage(parsing: bytes)
        original.edns = nil
        original.header.id = 0
        let stored = try DNSMessage(parsing: scanned.bytes)
        #expect(stored == original)  // names compare ignoring case
        for name in Self.allNames(stored) {
            #expect(name.hasIdenticalCase(to: name.lowercased()), "\(name) not lowercase")
        }
        #expect(scanned.storedAnswer().isWellFormed)
    }

    @Test("rendered for a client: its ID and spelling where names point at the question, OPT and DO from its query")
    func rendersLikeAHit() throws {
        let scanned = try #require(ScannedReply(reply: Self.reply()))
        let client = dnsName("www.EXAMPLE.com")
        let rendered = scanned.storedAnswer().render(
            id: 0xBEEF, clientQuestionName: client.wireBytes, queryFlags: 0x0100,
            clientEDNS: EDNS(udpPayloadSize: 4096, dnssecOK: true), ttl: .countDown(elapsedSeconds: 40), maxSize: 1232)
        let message = try DNSMessage(parsing: rendered)
        #expect(message.header.id == 0xBEEF)
        #expect(message.questions[0].name.hasIdenticalCase(to: client))
        #expect(message.answers[0].name.hasIdenticalCase(to: client))
        #expect(message.answers.map(\.ttl) == [60, 260])
        #expect(message.edns?.dnssecOK == true)
        // A client with a small payload gets the TC stub, question only.
        let small = scanned.storedAnswer().render(
            id: 1, clientQuestionName: client.wireBytes, queryFlags: 0, clientEDNS: nil, ttl: .countDown(elapsedSeconds: 0),
            maxSize: 40)
        let stub = try DNSMessage(parsing: small)
        #expect(stub.header.truncated && stub.answers.isEmpty && stub.questions.count == 1)
    }

    @Test("negative answers: the first authority SOA's TTL offset and MINIMUM")
    func negative() throws {
        let scanned = try #require(ScannedReply(reply: Self.nxdomain()))
        #expect(scanned.rcode == .nxDomain && !scanned.answersQuestion && scanned.answerCount == 0)
        let soa = try #require(scanned.authoritySOA)
        #expect(scanned.ttl(at: soa.ttlOffset) == 900)
        #expect(soa.minimum == 60)
        #expect(scanned.recordType(atTTLOffset: soa.ttlOffset) == .soa)
        var lowered = scanned
        lowered.rewriteTTLs { type, ttl in type == .soa ? 60 : ttl }
        let decoded = try DNSMessage(parsing: lowered.bytes)
        #expect(decoded.authorities[0].ttl == 60)
        guard case .soa(let data) = decoded.authorities[0].data else { Issue.record("not an SOA"); return }
        #expect(data.mname.hasIdenticalCase(to: dnsName("ns1.example.com")))
        #expect(data.rname.hasIdenticalCase(to: dnsName("host.example.com")))
    }

    @Test("TC in the reply is reported and cleared in the stored form")
    func truncated() throws {
        let scanned = try #require(ScannedReply(reply: Self.reply(flags: 0x8380)))
        #expect(scanned.wasTruncated)
        #expect(scanned.bytes[2] & 0x02 == 0)
    }

    @Test("shapes the scan leaves to the decoder", arguments: [
        ("OPT not last", packet(flags: 0x8180, qd: 1, an: 0, ar: 2) { p in
            p.name("a.example").u16(1).u16(1).opt().pointer(12).rr(type: 1, rdata: [192, 0, 2, 1])
        }),
        ("extended rcode", packet(flags: 0x8180, qd: 1, ar: 1) { p in
            p.name("a.example").u16(1).u16(1).name("").rr(type: 41, rclass: 1232, ttl: 0x0100_0000, rdata: [])
        }),
        ("two questions", packet(flags: 0x8180, qd: 2) { p in
            p.name("a.example").u16(1).u16(1).name("b.example").u16(1).u16(1)
        }),
        ("pointer into opaque RDATA", packet(flags: 0x8180, qd: 1, an: 2) { p in
            p.name("a.example").u16(1).u16(1)
            p.pointer(12).rr(type: 99, rdata: [1] + Array("x".utf8) + [0])
            p.pointer(12).rr(type: 5, rdata: [0xC0, UInt8(12 + 11 + 4 + 12)])
        }),
    ])
    func leftToTheDecoder(_ label: String, _ bytes: [UInt8]) {
        #expect(messageError(bytes) == nil, "\(label): the decoder should accept it")
        #expect(ScannedReply(reply: bytes) == nil, "\(label)")
    }

    @Test("malformed replies are refused", arguments: [
        ("trailing byte", reply() + [0]),
        ("cut short", Array(reply().dropLast(3))),
        ("A with 5 bytes", packet(flags: 0x8180, qd: 1, an: 1) { p in
            p.name("a.example").u16(1).u16(1).pointer(12).rr(type: 1, rdata: [1, 2, 3, 4, 5])
        }),
        ("forward pointer", packet(flags: 0x8180, qd: 1, an: 1) { p in
            p.name("a.example").u16(1).u16(1).pointer(200).rr(type: 1, rdata: [1, 2, 3, 4])
        }),
        ("OPT in the answer section", packet(flags: 0x8180, qd: 1, an: 1) { p in
            p.name("a.example").u16(1).u16(1).opt()
        }),
        ("no question", packet(flags: 0x8180)),
    ])
    func malformed(_ label: String, _ bytes: [UInt8]) {
        #expect(ScannedReply(reply: bytes) == nil, "\(label)")
    }

    @Test("random answers: the scan takes what the encoder writes and agrees with the decoder")
    func agreesWithTheDecoder() async {
        await propertyCheck(count: 500, input: DNSGen.answerable) { message in
            let bytes = message.encode().bytes
            guard let scanned = ScannedReply(reply: bytes) else {
                // Only shapes outside the fast path may be refused.
                #expect(message.rcode.rawValue > 15 || bytes.count > ScannedReply.maximumStoredSize + 11 + 255,
                        "refused: \(message)")
                return
            }
            var expected = message
            expected.edns = nil
            expected.header.id = 0
            expected.header.truncated = false
            let stored = try DNSMessage(parsing: scanned.bytes)
            #expect(stored == expected)
            for name in Self.allNames(stored) { #expect(name.hasIdenticalCase(to: name.lowercased())) }
            #expect(scanned.storedAnswer().isWellFormed)
        }
    }
}
