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
