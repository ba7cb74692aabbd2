// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import Synchronization

/// What `GET /query` tells: the answer a client would get now and how it was found.
public struct QueryExplanation: Sendable, Equatable {
    public var name: String
    public var type: String
    public var rcode: String
    /// `local`, `cache`, `stale`, `held`, `upstream` or `failure-cache`.
    public var source: String
    /// The provider and server that answered; nil when nothing upstream answered this query.
    public var provider: String?
    public var server: String?
    /// Upstream attempts this query made (a confirming question's included); 0 when it was
    /// answered without asking upstream; nil when not known (every attempt failed).
    public var attempts: Int?
    /// Extended DNS Error codes on the answer.
    public var extendedErrors: [Int]
    /// Answer and authority records in presentation form, TTLs as served.
    public var answers: [String]
    public var authorities: [String]
    /// The smallest TTL in the answer section as served; nil when it is empty.
    public var ttl: Int?
    public var milliseconds: Double
}

/// Records what the pipeline reported about one query, without counting it anywhere.
private final class CapturingObserver: ResolverObserver {
    struct Seen {
        var source: AnswerSource?
        var provider: String?
        var failureCacheHit = false
    }

    let seen = Mutex(Seen())
    func answered(_ query: ClientQuery, rcode: DNSRCode, source: AnswerSource, provider: String?, latencyNanos: UInt64) {
        seen.withLock {
            $0.source = source
            $0.provider = provider
        }
    }
    func coalesced() {}
    func prefetchStarted() {}
    func lastKnownGoodKept(name: DNSName) {}
    func answerCollapsed(name: DNSName) {}
    func holdsChanged(active: Int) {}
    func rejected(transport: Transport, rcode: DNSRCode?) {}
    func failureCacheHit() { seen.withLock { $0.failureCacheHit = true } }
}

extension QueryResolver {
    /// Resolves name/type exactly as a client query with EDNS (DO clear) would be — cache,
    /// stale, holds, upstreams — and says how. Not counted in the query metrics.
    public func explain(name: DNSName, type: DNSType) async -> QueryExplanation {
        let started = monotonicNanoseconds()
        let packet = DNSMessage.makeQuery(id: UInt16.random(in: 1...UInt16.max), question: DNSQuestion(name: name, type: type))
        let capture = CapturingObserver()
        let disposition = packet.withUnsafeBytes { handle($0, transport: .tcp, client: ClientEndpoint(), observer: capture) }
        let bytes: [UInt8]
        var via: UpstreamVia?
        var fetched = false
        switch disposition {
        case .drop:
            bytes = []
        case .raw(let raw):
            bytes = raw
        case .answer(let query, let reply):
            bytes = reply.bytes(for: query)
        case .resolve(let query):
            fetched = true
            let resolution: Resolution = await withCheckedContinuation { continuation in
                resolve(query, observer: capture) { continuation.resume(returning: $0) }
            }
            via = resolution.via
            bytes = resolution.reply.bytes(for: query)
        }
        let seen = capture.seen.withLock { $0 }
        let message = try? DNSMessage(parsing: bytes)
        let source: String
        switch seen.source {
        case .local?: source = "local"
        case .cache?: source = "cache"
        case .held?: source = "held"
        case .stale?: source = seen.failureCacheHit ? "failure-cache" : "stale"
        case .upstream?: source = "upstream"
        case .error?, nil: source = seen.failureCacheHit ? "failure-cache" : (type == .axfr || type == .ixfr ? "local" : "upstream")
        }
        let answers = message?.answers ?? []
        return QueryExplanation(
            name: name.description, type: type.description, rcode: (message?.rcode ?? .serverFailure).description, source: source,
            provider: via?.provider, server: via?.server, attempts: via?.attempts ?? (fetched ? nil : 0),
            extendedErrors: (message?.edns?.extendedErrorCodes ?? []).map(Int.init),
            answers: answers.map(\.description), authorities: (message?.authorities ?? []).map(\.description),
            ttl: answers.map(\.ttl).min().map(Int.init),
            milliseconds: Double(monotonicNanoseconds() &- started) / 1e6)
    }
}
