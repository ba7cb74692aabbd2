// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
@testable import HoldfastCache

/// Builders for the answers the tests cache.
enum Fixture {
    static func name(_ text: String) -> DNSName {
        (try? DNSName(text)) ?? .root
    }

    static func key(_ text: String, _ type: DNSType = .a, dnssecOK: Bool = false) -> CacheKey {
        CacheKey(name: name(text), type: type, qclass: .in, dnssecOK: dnssecOK)
    }

    static func response(_ text: String, _ type: DNSType = .a, rcode: DNSRCode = .noError) -> DNSMessage {
        var message = DNSMessage(header: DNSHeader(id: 7), questions: [DNSQuestion(name: name(text), type: type)])
        message.header.isResponse = true
        message.header.recursionAvailable = true
        message.rcode = rcode
        return message
    }

    /// A positive answer with one A record per TTL given.
    static func answer(_ text: String, ttls: [UInt32] = [300], address: UInt8 = 1) -> DNSMessage {
        var message = response(text)
        for ttl in ttls {
            message.answers.append(DNSRecord(name: name(text), type: .a, ttl: ttl, data: .a([192, 0, 2, address])))
        }
        return message
    }

    static func soa(ttl: UInt32, minimum: UInt32) -> DNSRecord {
        DNSRecord(name: name("example.com"), type: .soa, ttl: ttl, data: .soa(SOAData(
            mname: name("ns.example.com"), rname: name("hostmaster.example.com"), serial: 1, refresh: 3600,
            retry: 600, expire: 86400, minimum: minimum)))
    }

    /// NXDOMAIN or NODATA with an SOA in the authority section.
    static func negative(_ text: String, rcode: DNSRCode, soaTTL: UInt32, minimum: UInt32) -> DNSMessage {
        var message = response(text, rcode: rcode)
        message.authorities = [soa(ttl: soaTTL, minimum: minimum)]
        return message
    }

    /// The TTLs as a client would see them for `hit`, counted down.
    static func renderedTTLs(_ hit: CacheHit, name text: String = "example.com") -> [UInt32] {
        let bytes = hit.answer.render(
            id: 1, clientQuestionName: name(text).wireBytes, queryFlags: 0x0100, clientEDNS: nil,
            ttl: .countDown(elapsedSeconds: hit.elapsedSeconds), maxSize: 65535)
        guard let message = try? DNSMessage(parsing: bytes) else { return [] }
        return (message.answers + message.authorities + message.additionals).map(\.ttl)
    }

    static func seconds(_ value: Double) -> CacheMillis { CacheMillis(value * 1000) }
}

extension CacheLookup {
    var isMiss: Bool { if case .miss = self { return true } else { return false } }
    var isFresh: Bool { if case .fresh = self { return true } else { return false } }
    var isStale: Bool { if case .stale = self { return true } else { return false } }
    var prefetch: Bool { if case .fresh(_, let prefetch) = self { return prefetch } else { return false } }
    var refreshBlocked: Bool? { if case .stale(_, _, let blocked) = self { return blocked } else { return nil } }
    var expiredSeconds: UInt32? { if case .stale(_, let expired, _) = self { return expired } else { return nil } }
}
