// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport

/// Deterministic malformed-packet generator for the black-box bad-input tests: every packet
/// has a unique ID (its index), so replies can be matched to what provoked them.
struct BadPacketGenerator {
    /// What a packet is, and what a correct daemon may do with it.
    enum Kind: Int, CaseIterable {
        case randomBytes, shortHeader, lyingCounts, compressionLoop, overlongLabel, overlongName
        case responseBit, unknownOpcode, hugeEDNS, badEDNSVersion, wrongQuestionCount, truncatedQuery
        case bitFlipped, trailingGarbage, doubleOPT

        /// True when the daemon must stay silent (RFC 1035: never answer a response).
        var mustDrop: Bool { self == .responseBit || self == .shortHeader }
    }

    struct Packet {
        var kind: Kind
        var id: UInt16
        var bytes: [UInt8]
    }

    private var random: SplitMix64
    /// Names the daemon can resolve through the fake upstream.
    private let names: [DNSName]

    init(seed: UInt64, names: [DNSName]) {
        random = SplitMix64(seed: seed)
        self.names = names
    }

    mutating func packet(index: Int) -> Packet {
        let kind = Kind.allCases[index % Kind.allCases.count]
        let id = UInt16(truncatingIfNeeded: index &+ 1)
        return Packet(kind: kind, id: id, bytes: bytes(for: kind, id: id))
    }

    private mutating func bytes(for kind: Kind, id: UInt16) -> [UInt8] {
        let name = names[Int(random.next() % UInt64(names.count))]
        var query = DNSMessage.makeQuery(
            id: id, question: DNSQuestion(name: name, type: random.next() % 2 == 0 ? .a : .txt),
            udpPayloadSize: random.next() % 2 == 0 ? nil : 1232)
        switch kind {
        case .randomBytes:
            var bytes = randomBytes(count: 12 + Int(random.next() % 500))
            setID(&bytes, id)
            bytes[2] &= 0x7F  // QR=0 so the daemon has to look at it
            return bytes
        case .shortHeader:
            return Array(query.prefix(Int(random.next() % 12)))
        case .lyingCounts:
            for offset in [4, 6, 8, 10] where random.next() % 2 == 0 {
                query[offset] = UInt8(truncatingIfNeeded: random.next())
                query[offset + 1] = UInt8(truncatingIfNeeded: random.next())
            }
            query[5] |= 0x02  // at least QDCOUNT 2: a lie either way
            return query
        case .compressionLoop:
            var bytes = header(id: id, flags: 0x0100, qd: 1, ar: 0)
            switch random.next() % 3 {
            case 0: bytes += [0xC0, 12]                        // points at itself
            case 1: bytes += [1, 0x61, 0xC0, 14, 0xC0, 12]     // a → pointer → pointer back
            default: bytes += [0xC0, 0xFF]                     // points past the end
            }
            return bytes + [0, 1, 0, 1]
        case .overlongLabel:
            let length = 64 + Int(random.next() % 192)
            return header(id: id, flags: 0x0100, qd: 1, ar: 0) + [UInt8(length)] + randomLetters(length) + [0, 0, 1, 0, 1]
        case .overlongName:
            var bytes = header(id: id, flags: 0x0100, qd: 1, ar: 0)
            for _ in 0..<5 { bytes += [63] + randomLetters(63) }  // 320 bytes > 255
            return bytes + [0, 0, 1, 0, 1]
        case .responseBit:
            query[2] |= 0x80
            return query
        case .unknownOpcode:
            let opcodes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 15]
            let opcode = opcodes[Int(random.next() % UInt64(opcodes.count))]
            query[2] = (query[2] & 0x87) | (opcode << 3)
            return query
        case .hugeEDNS:
            let big = DNSMessage.makeQuery(
                id: id, question: DNSQuestion(name: names[0], type: .txt), udpPayloadSize: 65_535)
            return big
        case .badEDNSVersion:
            var bytes = DNSMessage.makeQuery(id: id, question: DNSQuestion(name: name, type: .a), udpPayloadSize: 4096)
            bytes[bytes.count - 5] = UInt8(1 + random.next() % 255)  // OPT TTL byte 2: version
            return bytes
        case .wrongQuestionCount:
            query[4] = 0
            query[5] = random.next() % 2 == 0 ? 0 : 2
            return query
        case .truncatedQuery:
            return Array(query.prefix(12 + Int(random.next() % UInt64(max(query.count - 12, 1)))))
        case .bitFlipped:
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let index = 12 + Int(random.next() % UInt64(query.count - 12))
                query[index] ^= UInt8(1) << (random.next() % 8)
            }
            return query
        case .trailingGarbage:
            return query + randomBytes(count: 1 + Int(random.next() % 64))
        case .doubleOPT:
            var bytes = DNSMessage.makeQuery(id: id, question: DNSQuestion(name: name, type: .a), udpPayloadSize: 1232)
            bytes[11] = 2
            return bytes + Array(bytes.suffix(11))
        }
    }

    private func header(id: UInt16, flags: UInt16, qd: UInt16, ar: UInt16) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF),
         UInt8(qd >> 8), UInt8(qd & 0xFF), 0, 0, 0, 0, UInt8(ar >> 8), UInt8(ar & 0xFF)]
    }

    private func setID(_ bytes: inout [UInt8], _ id: UInt16) {
        bytes[0] = UInt8(id >> 8)
        bytes[1] = UInt8(id & 0xFF)
    }

    private mutating func randomBytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    private mutating func randomLetters(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(ascii: "a") + UInt8(random.next() % 26) }
    }
}

