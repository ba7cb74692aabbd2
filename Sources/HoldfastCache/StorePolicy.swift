// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// Decides what may be cached and with which TTLs (the write side of the cache).
///
/// - Only NOERROR and NXDOMAIN answers to exactly the key's question are cached; SERVFAIL,
///   REFUSED, FORMERR, other rcodes and truncated (TC=1) answers never are.
/// - Positive answers: every record's TTL is clamped to `min_ttl_s`…`max_ttl_s` (max wins if
///   they cross).
/// - Negative answers (NXDOMAIN, or NOERROR with an empty answer section): the TTL is
///   min(SOA TTL, SOA MINIMUM) from the authority section (RFC 2308 §5), capped by
///   `negative_max_ttl_s`; every record's TTL is lowered to it. A negative answer without an
///   SOA is not cached (RFC 2308 §5: "SHOULD NOT be cached").
/// The entry lives for the smallest clamped TTL; the stored bytes carry the clamped TTLs.
enum StorePolicy {
    struct Prepared {
        var answer: StoredAnswer
        var isNegative: Bool
    }

    static func prepare(_ message: DNSMessage, for key: CacheKey, configuration: CacheConfiguration) -> Prepared? {
        guard message.questions.count == 1, let question = message.questions.first,
              question.name == key.name, question.type == key.type, question.qclass == key.qclass,
              !message.header.truncated
        else { return nil }
        let rcode = message.rcode
        guard rcode == .noError || rcode == .nxDomain else { return nil }
        var copy = message
        let isNegative = rcode == .nxDomain || message.answers.isEmpty
        if isNegative {
            guard let soa = message.authorities.first(where: { $0.type == .soa }),
                  case .soa(let data) = soa.data else { return nil }
            let negativeTTL = min(soa.ttl, data.minimum, configuration.negativeMaxTTLSeconds)
            func lower(_ records: inout [DNSRecord]) {
                for index in records.indices {
                    records[index].ttl = records[index].type == .soa ? negativeTTL : min(records[index].ttl, negativeTTL)
                }
            }
            lower(&copy.answers)
            lower(&copy.authorities)
            lower(&copy.additionals)
        } else {
            let low = configuration.minTTLSeconds
            let high = configuration.maxTTLSeconds
            func clamp(_ records: inout [DNSRecord]) {
                for index in records.indices { records[index].ttl = min(max(records[index].ttl, low), high) }
            }
            clamp(&copy.answers)
            clamp(&copy.authorities)
            clamp(&copy.additionals)
        }
        // Our own encoding: well formed by construction, no need to re-parse it.
        guard let encoded = StoredAnswer(message: copy), encoded.questionNameLength <= 255 else { return nil }
        // The encoder's buffer has spare capacity (512+ bytes); keep an exact-size copy.
        let answer = StoredAnswer(
            bytes: compactCopy(encoded.bytes), ttlOffsets: encoded.ttlOffsets, questionNameLength: encoded.questionNameLength,
            minimumTTL: encoded.minimumTTL, rcode: encoded.rcode)
        return Prepared(answer: answer, isNegative: isNegative)
    }

    static func compactCopy(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.capacity > bytes.count else { return bytes }
        return [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            bytes.withUnsafeBufferPointer { source in
                if let from = source.baseAddress, let to = buffer.baseAddress { to.initialize(from: from, count: source.count) }
            }
            count = bytes.count
        }
    }
}

extension StorePolicy {
    /// `prepare` for a scanned upstream reply: the same rules, applied to the reply's own
    /// bytes in place (TTLs rewritten where they stand), no decoding and no re-encoding.
    static func prepare(_ reply: ScannedReply, for key: CacheKey, configuration: CacheConfiguration) -> Prepared? {
        guard reply.questionType == key.type, reply.questionClass == key.qclass, !reply.wasTruncated,
              reply.questionNameLength <= 255, hasName(reply, key.name.wireBytes) else { return nil }
        let rcode = reply.rcode
        guard rcode == .noError || rcode == .nxDomain else { return nil }
        var copy = reply
        let isNegative = rcode == .nxDomain || reply.answerCount == 0
        if isNegative {
            guard let soa = reply.authoritySOA else { return nil }
            let negativeTTL = min(reply.ttl(at: soa.ttlOffset), soa.minimum, configuration.negativeMaxTTLSeconds)
            copy.rewriteTTLs { type, ttl in type == .soa ? negativeTTL : min(ttl, negativeTTL) }
        } else {
            let low = configuration.minTTLSeconds
            let high = configuration.maxTTLSeconds
            copy.rewriteTTLs { _, ttl in min(max(ttl, low), high) }
        }
        return Prepared(answer: copy.storedAnswer(), isNegative: isNegative)
    }

    /// The reply's (lowercase) question name is `name`, ignoring case.
    private static func hasName(_ reply: ScannedReply, _ name: [UInt8]) -> Bool {
        guard name.count == reply.questionNameLength else { return false }
        return reply.bytes.withUnsafeBufferPointer { stored in
            name.withUnsafeBufferPointer { wanted in
                NameBytes.equalIgnoringCase(stored, 12, wanted, 0, name.count)
            }
        }
    }
}
