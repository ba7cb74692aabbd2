import DNSWire
import HoldfastCache

/// An upstream reply made ready for the cache and the client: scanned in place (what real
/// servers send: the reply's own bytes become the stored answer) or, for any other shape,
/// decoded and lowercased. Both give the same answer to the client; only the cost differs.
enum UpstreamReply {
    case scanned(ScannedReply)
    case decoded(DNSMessage)

    /// Nil when the reply does not decode at all.
    init?(_ bytes: [UInt8]) {
        if let scanned = ScannedReply(reply: bytes) {
            self = .scanned(scanned)
        } else if let message = try? DNSMessage(parsing: bytes) {
            self = .decoded(message.withLowercasedNames())
        } else {
            return nil
        }
    }

    var rcode: DNSRCode {
        switch self {
        case .scanned(let reply): return reply.rcode
        case .decoded(let message): return message.rcode
        }
    }

    /// NXDOMAIN, or NOERROR with no record of the asked type (nor a CNAME) in the answer.
    func isNegative(for question: DNSQuestion) -> Bool {
        switch self {
        case .scanned(let reply): return reply.rcode == .nxDomain || !reply.answersQuestion
        case .decoded(let message): return QueryResolver.isNegative(message, for: question)
        }
    }

    /// Caches it when cacheable and returns what to answer with (the cached form, clamped, or
    /// the reply as it is); nil when it cannot be stored at all (no single question, too big).
    func store(in cache: DNSCache, key: CacheKey, now: CacheMillis) -> StoredAnswer? {
        switch self {
        case .scanned(let reply): return cache.store(key, reply: reply, now: now) ?? reply.storedAnswer()
        case .decoded(let message): return cache.store(key, message: message, now: now) ?? StoredAnswer(message: message)
        }
    }
}
