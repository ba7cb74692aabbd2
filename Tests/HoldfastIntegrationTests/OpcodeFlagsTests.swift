// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

/// SPEC "DNS behaviour", bad input: opcodes other than QUERY get NOTIMP with RA, AD and CD
/// clear — those flags are defined for QUERY only (ISC's EDNS compliance tests check it).
@Suite("Header flags on NOTIMP", .serialized)
struct OpcodeFlagsTests {
    static let adBit: UInt8 = 0x20
    static let cdBit: UInt8 = 0x10

    /// A query for `name` with `opcode`, RD, AD and CD set, with or without EDNS.
    static func packet(opcode: UInt8, id: UInt16, edns: Bool) throws -> [UInt8] {
        var bytes = DNSMessage.makeQuery(
            id: id, question: DNSQuestion(name: try DNSName("opcode.example.test"), type: .a), udpPayloadSize: edns ? 1232 : nil)
        bytes[2] = (bytes[2] & 0x87) | (opcode << 3)
        bytes[3] |= adBit | cdBit
        return bytes
    }

    static func expectNotImplementedWithClearFlags(_ reply: [UInt8]?, opcode: UInt8, id: UInt16, _ context: String) throws {
        let bytes = try #require(reply, "no reply to opcode \(opcode) (\(context))")
        let header = try DNSMessage(parsing: bytes).header
        #expect(header.id == id, "\(context)")
        #expect(header.isResponse, "\(context)")
        #expect(header.opcode.rawValue == opcode, "\(context)")
        #expect(header.rcodeLow == UInt8(DNSRCode.notImplemented.rawValue), "opcode \(opcode), \(context)")
        #expect(!header.recursionAvailable, "RA set on NOTIMP to opcode \(opcode) (\(context))")
        #expect(!header.authenticData, "AD set on NOTIMP to opcode \(opcode) (\(context))")
        #expect(!header.checkingDisabled, "CD echoed on NOTIMP to opcode \(opcode) (\(context))")
        #expect(header.recursionDesired, "RD is copied from the query (\(context))")
    }

    @Test func notImplementedHasRAADAndCDClear() async throws {
        let stack = try await ObservedStack.start()
        var id: UInt16 = 100
        for opcode: UInt8 in [1, 2, 4, 5, 15] {
            for edns in [false, true] {
                id += 1
                let udp = try await DNSClient.exchangeUDP(try Self.packet(opcode: opcode, id: id, edns: edns), with: stack.daemon.address)
                try Self.expectNotImplementedWithClearFlags(udp, opcode: opcode, id: id, "UDP, EDNS \(edns)")
                id += 1
                let tcp = try await DNSClient.exchangeTCP([try Self.packet(opcode: opcode, id: id, edns: edns)], with: stack.daemon.address)
                try Self.expectNotImplementedWithClearFlags(tcp.first, opcode: opcode, id: id, "TCP, EDNS \(edns)")
            }
        }
        await stack.stop()
    }

    /// A malformed packet of another opcode gets FORMERR, also with RA and CD clear; a QUERY
    /// keeps them (RA set, CD echoed).
    @Test func formatErrorsKeepTheFlagsOnlyForQuery() async throws {
        let stack = try await ObservedStack.start()
        for opcode: UInt8 in [0, 4] {
            var truncated = try Self.packet(opcode: opcode, id: 200 + UInt16(opcode), edns: false)
            truncated.removeLast(3)  // the question runs past the end
            let reply = try #require(try await DNSClient.exchangeUDP(truncated, with: stack.daemon.address), "opcode \(opcode)")
            let header = try DNSMessage(parsing: reply).header
            #expect(header.rcodeLow == UInt8(DNSRCode.formatError.rawValue), "opcode \(opcode)")
            #expect(header.recursionAvailable == (opcode == 0), "RA on FORMERR to opcode \(opcode)")
            #expect(header.checkingDisabled == (opcode == 0), "CD on FORMERR to opcode \(opcode)")
            #expect(!header.authenticData)
        }
        await stack.stop()
    }
}
