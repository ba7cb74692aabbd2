// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

@Suite("DNSHeader flags")
struct DNSHeaderTests {
    /// Each boolean flag with the wire bit it owns.
    enum Flag: UInt16, CaseIterable, Sendable {
        case qr = 0x8000, aa = 0x0400, tc = 0x0200, rd = 0x0100, ra = 0x0080, ad = 0x0020, cd = 0x0010

        func get(_ header: DNSHeader) -> Bool {
            switch self {
            case .qr: return header.isResponse
            case .aa: return header.authoritative
            case .tc: return header.truncated
            case .rd: return header.recursionDesired
            case .ra: return header.recursionAvailable
            case .ad: return header.authenticData
            case .cd: return header.checkingDisabled
            }
        }

        func set(_ header: inout DNSHeader, _ value: Bool) {
            switch self {
            case .qr: header.isResponse = value
            case .aa: header.authoritative = value
            case .tc: header.truncated = value
            case .rd: header.recursionDesired = value
            case .ra: header.recursionAvailable = value
            case .ad: header.authenticData = value
            case .cd: header.checkingDisabled = value
            }
        }
    }

    /// The named masks are the RFC 1035 / RFC 4035 bits the accessors use.
    @Test("named masks are the wire bits")
    func namedMasks() {
        typealias Named = DNSHeader.Flag
        let named: [(Flag, UInt16)] = [
            (.qr, Named.response), (.aa, Named.authoritative), (.tc, Named.truncated), (.rd, Named.recursionDesired),
            (.ra, Named.recursionAvailable), (.ad, Named.authenticData), (.cd, Named.checkingDisabled),
        ]
        for (flag, mask) in named { #expect(flag.rawValue == mask, "\(flag)") }
        #expect(Named.opcode == 0x7800)
        #expect(Named.rcode == 0x000F)
        #expect(Named.copiedFromQuery == 0x7910)
        #expect(Named.copiedFromOtherOpcode == 0x7900)
        #expect(EDNS.dnssecOKFlag == 0x8000)
    }

    @Test("setting a flag sets exactly its bit and clearing it restores the rest", arguments: Flag.allCases)
    func flagRoundTrip(flag: Flag) {
        let mask = flag.rawValue
        for base: UInt16 in [0x0000, 0xFFFF, 0x5A5A] {
            var header = DNSHeader(id: 7, flags: base)
            #expect(flag.get(header) == (base & mask != 0))
            flag.set(&header, true)
            #expect(header.flags == base | mask)
            #expect(flag.get(header))
            flag.set(&header, false)
            #expect(header.flags == base & ~mask)
            #expect(!flag.get(header))
            #expect(header.id == 7)
        }
    }

    @Test("opcode occupies bits 11-14 only", arguments: [DNSOpcode.query, .notify, .update, DNSOpcode(rawValue: 15)])
    func opcode(_ opcode: DNSOpcode) {
        var header = DNSHeader(flags: 0x87FF)
        header.opcode = opcode
        #expect(header.opcode == opcode)
        #expect(header.flags & 0x87FF == 0x87FF)
        #expect((header.flags >> 11) & 0x0F == UInt16(opcode.rawValue))
    }

    @Test("rcodeLow keeps the other flags", arguments: [UInt8(0), 3, 5, 15])
    func rcodeLow(_ value: UInt8) {
        var header = DNSHeader(flags: 0xFFF0)
        header.rcodeLow = value
        #expect(header.rcodeLow == value)
        #expect(header.flags & 0xFFF0 == 0xFFF0)
    }

    @Test("the full rcode uses the EDNS extension bits")
    func extendedRCode() throws {
        var message = DNSMessage(questions: [DNSQuestion(name: dnsName("example.com"), type: .a)])
        message.rcode = .badVersion
        #expect(message.header.rcodeLow == 0)
        #expect(message.edns?.extendedRCode == 1)
        let decoded = try DNSMessage(parsing: message.serialize())
        #expect(decoded.rcode == .badVersion)
        message.rcode = .nxDomain
        #expect(message.rcode == .nxDomain)
    }

    @Test("type mnemonics parse and print", arguments: [("AAAA", UInt16(28)), ("mx", 15), ("TYPE65280", 65280), ("https", 65)])
    func typeMnemonic(text: String, value: UInt16) {
        let type = DNSType(mnemonic: text)
        #expect(type == DNSType(value))
        if let type { #expect(DNSType(mnemonic: type.description) == type) }
    }

    @Test("unknown mnemonics are nil", arguments: ["", "TYPE", "TYPE70000", "BOGUS"])
    func badMnemonic(_ text: String) {
        #expect(DNSType(mnemonic: text) == nil)
    }
}
