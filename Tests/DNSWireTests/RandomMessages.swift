// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import PropertyBased
@testable import DNSWire

/// Random DNS values for property tests: names that share suffixes (so compression kicks in),
/// records of every RDATA kind with matching types, and whole messages.
enum RandomDNS {
    static let suffixes = ["example.com", "Example.COM", "test", "a.b.c.d.e", "xn--bcher-kva.example", ""]

    static func bytes<R: RandomNumberGenerator>(_ count: ClosedRange<Int>, using rng: inout R) -> [UInt8] {
        (0..<Int.random(in: count, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func label<R: RandomNumberGenerator>(using rng: inout R) -> [UInt8] {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)
        let length = Int.random(in: 0..<20, using: &rng) == 0 ? 63 : Int.random(in: 1...12, using: &rng)
        return (0..<length).map { _ in
            Int.random(in: 0..<10, using: &rng) == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng) ?? 97
        }
    }

    /// A random valid name: a few fresh labels in front of a shared suffix, at most 255 bytes.
    static func name<R: RandomNumberGenerator>(using rng: inout R) -> DNSName {
        var tail = Array((suffixes.randomElement(using: &rng) ?? "").split(separator: ".").map { Array($0.utf8) })
        var labels: [[UInt8]] = (0..<Int.random(in: 0...3, using: &rng)).map { _ in label(using: &rng) }
        labels.append(contentsOf: tail)
        tail.removeAll()
        var wire: [UInt8] = []
        for label in labels where wire.count + label.count + 2 <= 255 {
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        do {
            return try DNSName(wireBytes: wire)
        } catch {
            return .root
        }
    }

    static func record<R: RandomNumberGenerator>(using rng: inout R) -> DNSRecord {
        let owner = name(using: &rng)
        let ttl = Bool.random(using: &rng) ? UInt32.random(in: 0...86400, using: &rng) : UInt32.random(in: 0...UInt32.max, using: &rng)
        let rclass = Int.random(in: 0..<8, using: &rng) == 0 ? DNSClass(UInt16.random(in: 0...65535, using: &rng)) : .in
        let type: DNSType
        let data: DNSRData
        switch Int.random(in: 0..<9, using: &rng) {
        case 0:
            type = .a
            data = .a(bytes(4...4, using: &rng))
        case 1:
            type = .aaaa
            data = .aaaa(bytes(16...16, using: &rng))
        case 2:
            type = [DNSType.ns, .cname, .ptr, DNSType(39)].randomElement(using: &rng) ?? .ns
            data = .name(name(using: &rng))
        case 3:
            type = .mx
            data = .mx(preference: UInt16.random(in: 0...65535, using: &rng), exchange: name(using: &rng))
        case 4:
            type = .txt
            data = .txt((0..<Int.random(in: 1...3, using: &rng)).map { _ in
                bytes(Int.random(in: 0..<10, using: &rng) == 0 ? 255...255 : 0...40, using: &rng)
            })
        case 5:
            type = .soa
            data = .soa(SOAData(
                mname: name(using: &rng), rname: name(using: &rng), serial: .random(in: 0...UInt32.max, using: &rng),
                refresh: .random(in: 0...UInt32.max, using: &rng), retry: .random(in: 0...UInt32.max, using: &rng),
                expire: .random(in: 0...UInt32.max, using: &rng), minimum: .random(in: 0...UInt32.max, using: &rng)))
        case 6:
            type = .srv
            data = .srv(
                priority: .random(in: 0...65535, using: &rng), weight: .random(in: 0...65535, using: &rng),
                port: .random(in: 0...65535, using: &rng), target: name(using: &rng))
        default:
            type = opaqueType(using: &rng)
            data = .opaque(bytes(0...60, using: &rng))
        }
        return DNSRecord(name: owner, type: type, rclass: rclass, ttl: ttl, data: data)
    }

    /// A type whose RDATA the codec keeps opaque (never one it decodes into a typed case, never OPT).
    static func opaqueType<R: RandomNumberGenerator>(using rng: inout R) -> DNSType {
        let typed: Set<UInt16> = [1, 2, 5, 6, 12, 15, 16, 28, 33, 39, 41]
        while true {
            let candidate = Bool.random(using: &rng)
                ? ([DNSType.caa, .ds, .rrsig, .nsec, .dnskey, .https, .svcb, .hinfo, .naptr].randomElement(using: &rng) ?? .caa)
                : DNSType(UInt16.random(in: 0...65535, using: &rng))
            if !typed.contains(candidate.rawValue) { return candidate }
        }
    }

    static func edns<R: RandomNumberGenerator>(using rng: inout R) -> EDNS {
        var options = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            EDNS.Option(code: .random(in: 0...65535, using: &rng), data: bytes(0...20, using: &rng))
        }
        if Bool.random(using: &rng) {
            options.append(EDNS.extendedError(.random(in: 0...30, using: &rng), text: Bool.random(using: &rng) ? "stale" : ""))
        }
        return EDNS(
            udpPayloadSize: .random(in: 0...65535, using: &rng), extendedRCode: .random(in: 0...255, using: &rng),
            version: .random(in: 0...255, using: &rng), dnssecOK: .random(using: &rng), options: options)
    }

    static func message<R: RandomNumberGenerator>(using rng: inout R) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(id: .random(in: 0...65535, using: &rng), flags: .random(in: 0...65535, using: &rng)),
            questions: (0..<Int.random(in: 0...2, using: &rng)).map { _ in
                DNSQuestion(name: name(using: &rng), type: DNSType(.random(in: 0...65535, using: &rng)), qclass: Bool.random(using: &rng) ? .in : .ch)
            },
            answers: (0..<Int.random(in: 0...6, using: &rng)).map { _ in record(using: &rng) },
            authorities: (0..<Int.random(in: 0...3, using: &rng)).map { _ in record(using: &rng) },
            additionals: (0..<Int.random(in: 0...3, using: &rng)).map { _ in record(using: &rng) },
            edns: Bool.random(using: &rng) ? edns(using: &rng) : nil)
    }

    /// One to four damaging edits: overwritten bytes, pointer-looking bytes, cuts, insertions,
    /// deletions and a copied run.
    static func mutate<R: RandomNumberGenerator>(_ input: [UInt8], using rng: inout R) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes[index] = .random(in: 0...255, using: &rng)
            case 1: bytes[index] = 0xC0 | .random(in: 0...0x3F, using: &rng)
            case 2: bytes[index] = [0, 0x3F, 0x40, 0x80, 0xFF].randomElement(using: &rng) ?? 0
            case 3: bytes.removeLast(bytes.count - index)
            case 4: bytes.insert(.random(in: 0...255, using: &rng), at: index)
            case 5: bytes.remove(at: index)
            default:
                let end = min(bytes.count, index + Int.random(in: 1...16, using: &rng))
                bytes.insert(contentsOf: bytes[index..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            }
        }
        return bytes
    }
}

/// Property-test generators wrapping `RandomDNS`.
enum DNSGen {
    static let message = Generator<DNSMessage, Shrink.None<DNSMessage>> { rng in RandomDNS.message(using: &rng) }

    /// A message with exactly one question, as a cache stores it.
    static let answerable = Generator<DNSMessage, Shrink.None<DNSMessage>> { rng in
        var message = RandomDNS.message(using: &rng)
        message.questions = [DNSQuestion(name: RandomDNS.name(using: &rng), type: .a)]
        return message
    }

    static let noise = Generator<[UInt8], Shrink.None<[UInt8]>> { rng in
        RandomDNS.bytes(0...600, using: &rng)
    }

    /// Random bodies behind a header with small counts, so the parsers get past the count check.
    static let plausible = Generator<[UInt8], Shrink.None<[UInt8]>> { rng in
        var bytes = RandomDNS.bytes(4...4, using: &rng)
        for _ in 0..<4 { bytes += [0, UInt8.random(in: 0...3, using: &rng)] }
        return bytes + RandomDNS.bytes(0...300, using: &rng)
    }

    static let mutated = Generator<[UInt8], Shrink.None<[UInt8]>> { rng in
        let valid = RandomDNS.message(using: &rng).serialize()
        return RandomDNS.mutate(valid, using: &rng)
    }

    static let mutatedQuery = Generator<[UInt8], Shrink.None<[UInt8]>> { rng in
        let question = DNSQuestion(name: RandomDNS.name(using: &rng), type: DNSType(.random(in: 0...65535, using: &rng)))
        let query = DNSMessage.makeQuery(id: .random(in: 0...65535, using: &rng), question: question, dnssecOK: .random(using: &rng))
        return RandomDNS.mutate(query, using: &rng)
    }
}
