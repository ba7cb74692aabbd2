// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

/// One malformed input and the error it must produce.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let kind: WireErrorKind
    var testDescription: String { label }
}

private let question: @Sendable (PacketBuilder) -> Void = { $0.name("www.example.com").u16(1).u16(1) }
private let label63 = String(repeating: "a", count: 63)

/// Four questions whose names chain through pointers; the fourth expands to 257 bytes.
private func pointerChainTooLong() -> [UInt8] {
    let builder = PacketBuilder(qd: 4)
    var previous = builder.bytes.count
    builder.name(label63).u16(1).u16(1)
    for _ in 0..<3 {
        let start = builder.bytes.count
        builder.labels(label63).pointer(previous).u16(1).u16(1)
        previous = start
    }
    return builder.bytes
}

/// Malformed inputs for the full decoder, one per way bytes can lie.
let malformedMessages: [MalformedCase] = [
    MalformedCase(label: "empty input", bytes: [], kind: .truncated),
    MalformedCase(label: "5-byte header", bytes: [0x12, 0x34, 0x01, 0x00, 0x00], kind: .truncated),
    MalformedCase(label: "11-byte header", bytes: Array(packet().prefix(11)), kind: .truncated),
    MalformedCase(label: "QDCOUNT 65535 with 12 bytes", bytes: packet(qd: 65535), kind: .truncated),
    MalformedCase(label: "ARCOUNT 65535 with one question", bytes: packet(qd: 1, ar: 65535, question), kind: .truncated),
    MalformedCase(label: "ANCOUNT 1 but no record", bytes: packet(qd: 1, an: 1, question), kind: .truncated),
    MalformedCase(label: "QDCOUNT 2 but one question", bytes: packet(qd: 2) { $0.name("a.b.c.d.e.f.g").u16(1).u16(1) }, kind: .truncated),
    MalformedCase(label: "pointer to itself", bytes: packet(qd: 1) { $0.pointer(12).u16(1).u16(1) }, kind: .badPointer),
    MalformedCase(
        label: "pointer back into its own labels",
        bytes: packet(qd: 1) { $0.labels("abc").pointer(12).u16(1).u16(1) }, kind: .badPointer),
    MalformedCase(
        label: "two pointers pointing at each other",
        bytes: packet(qd: 2) { $0.pointer(18).u16(1).u16(1).pointer(12).u16(1).u16(1) }, kind: .badPointer),
    MalformedCase(
        label: "forward pointer to a valid name",
        bytes: packet(qd: 2) { $0.pointer(18).u16(1).u16(1).name("example.com").u16(1).u16(1) }, kind: .badPointer),
    MalformedCase(label: "pointer past the end", bytes: packet(qd: 1) { $0.pointer(0x3FFF).u16(1).u16(1) }, kind: .badPointer),
    MalformedCase(label: "pointer cut in half", bytes: packet(qd: 1) { $0.labels("abcd").u8(0xC0) }, kind: .truncated),
    MalformedCase(label: "label type 0x40", bytes: packet(qd: 1) { $0.u8(0x41).u8(0x61).u8(0).u16(1).u16(1) }, kind: .badLabelType),
    MalformedCase(label: "label type 0x80", bytes: packet(qd: 1) { $0.u8(0x81).u8(0x61).u8(0).u16(1).u16(1) }, kind: .badLabelType),
    MalformedCase(label: "label runs past the end", bytes: packet(qd: 1) { $0.u8(63).raw(Array("abcdef".utf8)) }, kind: .truncated),
    MalformedCase(
        label: "name of 257 bytes without pointers",
        bytes: packet(qd: 1) { $0.name([label63, label63, label63, label63].joined(separator: ".")).u16(1).u16(1) },
        kind: .nameTooLong),
    MalformedCase(label: "name of 257 bytes through a pointer chain", bytes: pointerChainTooLong(), kind: .nameTooLong),
    MalformedCase(label: "RDATA shorter than RDLENGTH", bytes: packet(an: 1) { $0.name("").rr(type: 1, rdlength: 4, rdata: [1, 2]) }, kind: .truncated),
    MalformedCase(label: "A with RDLENGTH 5", bytes: packet(an: 1) { $0.name("").rr(type: 1, rdata: [1, 2, 3, 4, 5]) }, kind: .badRData),
    MalformedCase(label: "A with RDLENGTH 3", bytes: packet(an: 1) { $0.name("").rr(type: 1, rdata: [1, 2, 3]) }, kind: .badRData),
    MalformedCase(label: "AAAA with RDLENGTH 4", bytes: packet(an: 1) { $0.name("").rr(type: 28, rdata: [1, 2, 3, 4]) }, kind: .badRData),
    MalformedCase(
        label: "CNAME name longer than RDLENGTH",
        bytes: packet(an: 1) { $0.name("").rr(type: 5, rdlength: 2, rdata: [3, 97, 98, 99, 0]) }, kind: .badRData),
    MalformedCase(
        label: "CNAME RDLENGTH longer than its name",
        bytes: packet(an: 1) { $0.name("").rr(type: 5, rdata: [1, 97, 0, 9]) }, kind: .badRData),
    MalformedCase(label: "TXT string overruns RDLENGTH", bytes: packet(an: 1) { $0.name("").rr(type: 16, rdata: [5, 97, 98]) }, kind: .badRData),
    MalformedCase(label: "TXT with empty RDATA", bytes: packet(an: 1) { $0.name("").rr(type: 16, rdata: []) }, kind: .badRData),
    MalformedCase(label: "MX cut after one byte", bytes: packet(an: 1) { $0.name("").rr(type: 15, rdata: [0]) }, kind: .truncated),
    MalformedCase(
        label: "SOA missing its last fields",
        bytes: packet(an: 1) { $0.name("").rr(type: 6, rdata: [0, 0, 0, 0, 0, 1, 0, 0, 0, 2]) }, kind: .truncated),
    MalformedCase(
        label: "SRV target pointer loops",
        bytes: packet(an: 1) { $0.name("").rr(type: 33, rdata: [0, 1, 0, 2, 0, 53, 0xC0, 29]) }, kind: .badPointer),
    MalformedCase(label: "record TTL field cut", bytes: packet(an: 1) { $0.name("a.b.c.d").u16(1).u16(1).u16(0) }, kind: .truncated),
    MalformedCase(label: "OPT owner not root", bytes: packet(qd: 1, ar: 1) { question($0); $0.opt(owner: "a") }, kind: .badOPT),
    MalformedCase(label: "OPT twice", bytes: packet(qd: 1, ar: 2) { question($0); $0.opt().opt() }, kind: .badOPT),
    MalformedCase(label: "OPT in the answer section", bytes: packet(qd: 1, an: 1) { question($0); $0.opt() }, kind: .badOPT),
    MalformedCase(label: "OPT in the authority section", bytes: packet(qd: 1, ns: 1) { question($0); $0.opt() }, kind: .badOPT),
    MalformedCase(label: "OPT option overruns RDATA", bytes: packet(ar: 1) { $0.opt(rdata: [0, 15, 0, 10, 0, 3]) }, kind: .badOPT),
    MalformedCase(label: "OPT option header cut", bytes: packet(ar: 1) { $0.opt(rdata: [0, 15, 0]) }, kind: .badOPT),
    MalformedCase(label: "trailing byte after a query", bytes: packet(qd: 1, question) + [0], kind: .trailingBytes),
    MalformedCase(label: "trailing bytes after an empty message", bytes: packet() + [1, 2, 3], kind: .trailingBytes),
]

/// Malformed client queries for the fast query parser.
let malformedQueries: [MalformedCase] = [
    MalformedCase(label: "empty input", bytes: [], kind: .truncated),
    MalformedCase(label: "5-byte header", bytes: [0x12, 0x34, 0x01, 0x00, 0x00], kind: .truncated),
    MalformedCase(label: "QDCOUNT 1 with 12 bytes", bytes: packet(qd: 1), kind: .truncated),
    MalformedCase(label: "question type cut", bytes: packet(qd: 1) { $0.name("example.com").u8(0) }, kind: .truncated),
    MalformedCase(label: "ARCOUNT 65535", bytes: packet(qd: 1, ar: 65535, question), kind: .truncated),
    MalformedCase(label: "ANCOUNT 1 but no record", bytes: packet(qd: 1, an: 1, question), kind: .truncated),
    MalformedCase(label: "pointer to itself", bytes: packet(qd: 1) { $0.pointer(12).u16(1).u16(1) }, kind: .badPointer),
    MalformedCase(label: "forward pointer", bytes: packet(qd: 1) { $0.pointer(20).u16(1).u16(1).name("abc") }, kind: .badPointer),
    MalformedCase(label: "label type 0x40", bytes: packet(qd: 1) { $0.u8(0x41).u8(0x61).u8(0).u16(1).u16(1) }, kind: .badLabelType),
    MalformedCase(label: "label type 0x80", bytes: packet(qd: 1) { $0.u8(0x81).u8(0x61).u8(0).u16(1).u16(1) }, kind: .badLabelType),
    MalformedCase(
        label: "name of 257 bytes",
        bytes: packet(qd: 1) { $0.name([label63, label63, label63, label63].joined(separator: ".")).u16(1).u16(1) },
        kind: .nameTooLong),
    MalformedCase(label: "OPT owner not root", bytes: packet(qd: 1, ar: 1) { question($0); $0.opt(owner: "a") }, kind: .badOPT),
    MalformedCase(label: "OPT twice", bytes: packet(qd: 1, ar: 2) { question($0); $0.opt().opt() }, kind: .badOPT),
    MalformedCase(label: "OPT option overruns RDATA", bytes: packet(qd: 1, ar: 1) { question($0); $0.opt(rdata: [0, 15, 0, 10, 0, 3]) }, kind: .badOPT),
    MalformedCase(label: "OPT RDATA past the end", bytes: packet(qd: 1, ar: 1) { question($0); $0.name("").rr(type: 41, rdlength: 8, rdata: [0, 10, 0, 0]) }, kind: .truncated),
    MalformedCase(label: "additional record RDATA past the end", bytes: packet(qd: 1, ar: 1) { question($0); $0.name("").rr(type: 1, rdlength: 4, rdata: [1]) }, kind: .truncated),
    MalformedCase(label: "trailing byte", bytes: packet(qd: 1, question) + [0], kind: .trailingBytes),
]

@Suite("Malformed input is a typed error")
struct MalformedDecodeTests {
    @Test("DNSMessage rejects", arguments: malformedMessages)
    func message(_ input: MalformedCase) {
        #expect(messageError(input.bytes)?.kind == input.kind)
    }

    @Test("ParsedQuery rejects", arguments: malformedQueries)
    func query(_ input: MalformedCase) {
        #expect(queryError(input.bytes)?.kind == input.kind)
    }

    @Test("every prefix of a valid response is rejected, never a trap")
    func everyPrefix() {
        let full = RealPackets.response
        for length in 0..<full.count {
            let prefix = Array(full.prefix(length))
            #expect(messageError(prefix) != nil, "prefix of \(length) bytes decoded")
            _ = queryError(prefix)
        }
    }

    @Test("every prefix of a valid query is rejected by both parsers")
    func everyQueryPrefix() {
        let full = RealPackets.query
        for length in 0..<full.count {
            let prefix = Array(full.prefix(length))
            #expect(messageError(prefix) != nil, "prefix of \(length) bytes decoded")
            #expect(queryError(prefix) != nil, "prefix of \(length) bytes parsed as a query")
        }
    }

    @Test("the largest legal name through a pointer chain decodes")
    func longestNameThroughPointers() throws {
        // 63-byte label + root (65) ← 63 + ptr (129) ← 63 + ptr (193) ← 61 + ptr (255).
        let builder = PacketBuilder(qd: 4)
        var previous = builder.bytes.count
        builder.name(label63).u16(1).u16(1)
        for length in [63, 63, 61] {
            let start = builder.bytes.count
            builder.labels(String(repeating: "b", count: length)).pointer(previous).u16(1).u16(1)
            previous = start
        }
        let message = try DNSMessage(parsing: builder.bytes)
        #expect(message.questions.map(\.name.wireBytes.count) == [65, 129, 193, 255])
    }
}
