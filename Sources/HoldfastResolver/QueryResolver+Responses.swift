// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache

/// Every message the resolver builds itself: FORMERR, NOTIMP and other error answers,
/// SERVFAIL with EDE 22, local answers; and the upstream reply's lowercasing before it is stored.
extension QueryResolver {
    static func headerOnlyResponse(id: UInt16, flags: UInt16, rcode: DNSRCode) -> [UInt8] {
        let isQuery = flags & DNSHeader.Flag.opcode == 0  // RA and CD are defined for QUERY only
        var header = DNSHeader(id: id, flags: flags & (isQuery ? DNSHeader.Flag.copiedFromQuery : DNSHeader.Flag.copiedFromOtherOpcode))
        header.isResponse = true
        header.recursionAvailable = isQuery
        header.rcodeLow = UInt8(rcode.rawValue & DNSHeader.Flag.rcode)
        return DNSMessage(header: header).serialize()
    }

    static func errorResponse(_ parsed: ParsedQuery, rcode: DNSRCode) -> [UInt8] {
        // RA, AD and CD are defined for QUERY only: clear on a NOTIMP to another opcode.
        let isQuery = parsed.header.opcode == .query
        let copied = isQuery ? DNSHeader.Flag.copiedFromQuery : DNSHeader.Flag.copiedFromOtherOpcode
        var header = DNSHeader(id: parsed.header.id, flags: parsed.header.flags & copied)
        header.isResponse = true
        header.recursionAvailable = isQuery
        var message = DNSMessage(header: header, questions: parsed.questionCount == 1 ? parsed.question.map { [$0] } ?? [] : [])
        if parsed.edns != nil { message.edns = EDNS(udpPayloadSize: EDNS.defaultUDPPayloadSize, dnssecOK: parsed.edns?.dnssecOK ?? false) }
        message.rcode = rcode
        return message.serialize(maxSize: parsed.udpResponseLimit())
    }

    static func response(to query: ClientQuery, rcode: DNSRCode, answers: [DNSRecord] = [], authoritative: Bool = false, extendedError: UInt16? = nil) -> DNSMessage {
        var header = DNSHeader(id: query.header.id, flags: query.header.flags & DNSHeader.Flag.copiedFromQuery)
        header.isResponse = true
        header.recursionAvailable = true
        header.authoritative = authoritative
        var message = DNSMessage(header: header, questions: [query.question], answers: answers)
        if let clientEDNS = query.edns {
            var edns = EDNS(udpPayloadSize: EDNS.defaultUDPPayloadSize, dnssecOK: clientEDNS.dnssecOK)
            if let extendedError { edns.options = [EDNS.extendedError(extendedError)] }
            message.edns = edns
        }
        message.rcode = rcode
        return message
    }

    static func serverFailure(to query: ClientQuery) -> DNSMessage {
        response(to: query, rcode: .serverFailure, extendedError: ExtendedDNSError.noReachableAuthority)
    }

    static func localResponse(to query: ClientQuery, _ answer: LocalZone.Answer) -> DNSMessage {
        switch answer {
        case .records(let records):
            return response(to: query, rcode: .noError, answers: records, authoritative: true)
        case .nxDomain:
            return response(to: query, rcode: .nxDomain, authoritative: true)
        }
    }
}

extension DNSMessage {
    /// A copy with every name in lower case. Upstream replies carry our 0x20-randomised case;
    /// stored lowercased, an answer shows the client's spelling where its names point at the
    /// question (patched per client) and plain lower case elsewhere.
    func withLowercasedNames() -> DNSMessage {
        func lower(_ record: DNSRecord) -> DNSRecord {
            var copy = record
            copy.name = record.name.lowercased()
            switch record.data {
            case .name(let target): copy.data = .name(target.lowercased())
            case .mx(let preference, let exchange): copy.data = .mx(preference: preference, exchange: exchange.lowercased())
            case .soa(var soa):
                soa.mname = soa.mname.lowercased()
                soa.rname = soa.rname.lowercased()
                copy.data = .soa(soa)
            case .srv(let priority, let weight, let port, let target):
                copy.data = .srv(priority: priority, weight: weight, port: port, target: target.lowercased())
            case .a, .aaaa, .txt, .opaque: break
            }
            return copy
        }
        var copy = self
        copy.questions = questions.map { DNSQuestion(name: $0.name.lowercased(), type: $0.type, qclass: $0.qclass) }
        copy.answers = answers.map(lower)
        copy.authorities = authorities.map(lower)
        copy.additionals = additionals.map(lower)
        return copy
    }
}

extension CacheKey {
    /// The cache key of a client query: name (case-insensitive), type, class and DO bit.
    init(_ query: ClientQuery) {
        self.init(name: query.question.name, type: query.question.type, qclass: query.question.qclass, dnssecOK: query.edns?.dnssecOK ?? false)
    }
}
