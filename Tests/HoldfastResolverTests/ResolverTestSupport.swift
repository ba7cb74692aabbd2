// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import HoldfastResolver
import HoldfastUpstream
import Logging
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: MillisecondClock {
    private let now = Atomic<UInt64>(1_000_000)
    func nowMillis() -> UInt64 { now.load(ordering: .relaxed) }
    func advance(seconds: UInt64) { now.wrappingAdd(seconds * 1000, ordering: .relaxed) }
    func advance(millis: UInt64) { now.wrappingAdd(millis, ordering: .relaxed) }
}

/// An upstream whose answers a test scripts; counts the questions it was asked.
final class ScriptedUpstream: UpstreamResolving {
    enum Behaviour: Sendable {
        case answer(rcode: DNSRCode, records: [DNSRecord], soa: DNSRecord?)
        case fail
        case allDown
        /// Waits this long, then answers with the records.
        case slow(milliseconds: Int, records: [DNSRecord])
        /// Never answers until released.
        case hang
        /// An answer carrying an Extended DNS Error (e.g. 15 Blocked).
        case answerWithEDE(rcode: DNSRCode, code: UInt16)
    }

    /// Other providers, asked only by the collapse guard's confirming question, in order.
    private let others = Mutex<[(name: String, behaviour: Behaviour)]>([])
    private let confirmations = Atomic<Int>(0)
    /// Confirming questions asked.
    var confirmAsked: Int { confirmations.load(ordering: .relaxed) }

    /// Adds (or rescripts) another provider.
    func scriptOther(_ name: String, _ behaviour: Behaviour) {
        others.withLock { others in
            if let index = others.firstIndex(where: { $0.name == name }) { others[index].behaviour = behaviour } else { others.append((name, behaviour)) }
        }
    }

    func startConfirming(_ question: DNSQuestion, dnssecOK: Bool, excludingProvider: String,
                         completion: @escaping @Sendable (UpstreamResult) -> Void) {
        confirmations.wrappingAdd(1, ordering: .relaxed)
        guard let other = others.withLock({ $0.first { $0.name != excludingProvider } }) else {
            return completion(.failed(.noServers))
        }
        Task { completion(await Self.result(other.behaviour, question: question, provider: other.name)) }
    }

    static func result(_ behaviour: Behaviour, question: DNSQuestion, provider: String) async -> UpstreamResult {
        switch behaviour {
        case .answer(let rcode, let records, let soa):
            return .answer(reply: reply(question, rcode: rcode, records: records, soa: soa), provider: provider, server: "127.0.0.2:53")
        case .answerWithEDE(let rcode, let code):
            return .answer(reply: reply(question, rcode: rcode, records: [], soa: nil, ede: code), provider: provider, server: "127.0.0.2:53")
        case .fail, .hang, .slow: return .failed(.timeout)
        case .allDown: return .allDown
        }
    }

    private let state = Mutex<(behaviour: Behaviour, asked: Int, knownDown: Bool)>((.fail, 0, false))
    /// Hanging questions, and whether `releaseHangs` was called (later hangs then end at once).
    private let hangs = Mutex<(waiting: [CheckedContinuation<Void, Never>], released: Bool)>(([], false))

    func script(_ behaviour: Behaviour, knownDown: Bool = false) {
        state.withLock {
            $0.behaviour = behaviour
            $0.knownDown = knownDown
        }
    }

    var asked: Int { state.withLock { $0.asked } }

    func releaseHangs() {
        let waiting = hangs.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.released = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func isKnownDown(for name: DNSName) -> Bool { state.withLock { $0.knownDown } }

    func start(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?,
               completion: @escaping @Sendable (UpstreamResult) -> Void) {
        Task { completion(await resolve(question, dnssecOK: dnssecOK, onAllDown: onAllDown)) }
    }

    /// Deadlines on real time (the scenarios that need one use a short client timeout).
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        Task {
            try? await Task.sleep(for: delay)
            action()
        }
    }

    private func resolve(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?) async -> UpstreamResult {
        let behaviour = state.withLock { state -> Behaviour in
            state.asked += 1
            return state.behaviour
        }
        switch behaviour {
        case .answer(let rcode, let records, let soa):
            return .answer(reply: Self.reply(question, rcode: rcode, records: records, soa: soa), provider: "scripted", server: "127.0.0.1:53")
        case .answerWithEDE(let rcode, let code):
            return .answer(reply: Self.reply(question, rcode: rcode, records: [], soa: nil, ede: code), provider: "scripted", server: "127.0.0.1:53")
        case .fail:
            return .failed(.timeout)
        case .allDown:
            return .allDown
        case .slow(let milliseconds, let records):
            try? await Task.sleep(for: .milliseconds(milliseconds))
            return .answer(reply: Self.reply(question, rcode: .noError, records: records, soa: nil), provider: "scripted", server: "127.0.0.1:53")
        case .hang:
            await withCheckedContinuation { continuation in
                let released = hangs.withLock { state -> Bool in
                    if !state.released { state.waiting.append(continuation) }
                    return state.released
                }
                if released { continuation.resume() }
            }
            return .failed(.timeout)
        }
    }

    static func reply(_ question: DNSQuestion, rcode: DNSRCode, records: [DNSRecord], soa: DNSRecord?, ede: UInt16? = nil) -> [UInt8] {
        var header = DNSHeader(id: 7)
        header.isResponse = true
        header.recursionDesired = true
        header.recursionAvailable = true
        var message = DNSMessage(header: header, questions: [question], answers: records, authorities: soa.map { [$0] } ?? [])
        message.rcode = rcode
        if let ede { message.edns = EDNS(options: [EDNS.extendedError(ede)]) }
        return message.serialize()
    }
}

/// A resolver wired to a real cache, a scripted upstream and a manual clock.
struct Harness {
    let clock = ManualClock()
    let upstream = ScriptedUpstream()
    let cache: DNSCache
    let resolver: QueryResolver

    let observer = CountingObserver()

    init(staleEnabled: Bool = true, clientTimeoutMs: Int = 1800, lastKnownGood: [String] = [], local: [DNSRecord] = [],
         failureTTLSeconds: Int = 5, failureMaxTTLSeconds: Int = 60, collapseHoldSeconds: Int = 900,
         maxInFlight: Int = 10_000) {
        cache = DNSCache(configuration: CacheConfiguration(
            maxEntries: 1000, minTTLSeconds: 0, maxTTLSeconds: 86_400, negativeMaxTTLSeconds: 3600, prefetch: true,
            staleEnabled: staleEnabled, staleMaxAgeSeconds: 86_400))
        resolver = QueryResolver(
            configuration: ResolverConfiguration(
                staleAnswerTTLSeconds: 30, clientTimeoutMs: clientTimeoutMs,
                prefetch: true, lastKnownGood: LastKnownGoodPatterns(lastKnownGood), localZone: LocalZone(records: local),
                failureTTLSeconds: failureTTLSeconds, failureMaxTTLSeconds: failureMaxTTLSeconds,
                collapseHoldSeconds: collapseHoldSeconds, maxInFlight: maxInFlight),
            cache: cache, upstream: upstream, clock: clock, observer: observer, logger: Logger(label: "test"))
    }

    /// Sends a query through the synchronous path, then the asynchronous one if needed.
    func ask(_ name: String, _ type: DNSType = .a, id: UInt16 = 0x1234, edns: Bool = true, transport: Transport = .udp) async throws -> DNSMessage {
        let bytes = DNSMessage.makeQuery(id: id, question: DNSQuestion(name: try DNSName(name), type: type), udpPayloadSize: edns ? 1232 : nil)
        return try await send(bytes, transport: transport)
    }

    func send(_ bytes: [UInt8], transport: Transport = .udp) async throws -> DNSMessage {
        guard let answer = try await sendRaw(bytes, transport: transport) else { throw HarnessError.dropped }
        return try DNSMessage(parsing: answer)
    }

    func sendRaw(_ bytes: [UInt8], transport: Transport = .udp) async throws -> [UInt8]? {
        let disposition = bytes.withUnsafeBytes { resolver.handle($0, transport: transport, client: ClientEndpoint()) }
        switch disposition {
        case .drop: return nil
        case .raw(let answer): return answer
        case .answer(let query, let reply): return reply.bytes(for: query)
        case .resolve(let query): return await resolver.resolve(query).bytes(for: query)
        }
    }

    /// Waits until no fetch is in progress (a hold's background re-check, a prefetch). Bounded.
    func settle() async {
        for _ in 0..<2000 where resolver.inFlightCount > 0 { try? await Task.sleep(for: .milliseconds(1)) }
    }

    /// True when the synchronous path answers without upstream work.
    func answersSynchronously(_ name: String, _ type: DNSType = .a) throws -> Bool {
        let bytes = DNSMessage.makeQuery(id: 1, question: DNSQuestion(name: try DNSName(name), type: type))
        if case .answer = bytes.withUnsafeBytes({ resolver.handle($0, transport: .udp, client: ClientEndpoint()) }) { return true }
        return false
    }
}

enum HarnessError: Error { case dropped }

/// Counts what the resolver reports (only what the scenarios check).
final class CountingObserver: ResolverObserver {
    private let failureHits = Atomic<Int>(0)
    private let collapses = Atomic<Int>(0)
    private let heldServed = Atomic<Int>(0)
    /// Names that collapsed (`holdfast_answer_collapses_total`).
    var collapseCount: Int { collapses.load(ordering: .relaxed) }
    /// Answers served from holds (`holdfast_last_known_good_total`).
    var heldCount: Int { heldServed.load(ordering: .relaxed) }
    func answerCollapsed(name: DNSName) { collapses.wrappingAdd(1, ordering: .relaxed) }
    func holdsChanged(active: Int) {}
    private let answers = Mutex<[AnswerSource: Int]>([:])
    var failureCacheHits: Int { failureHits.load(ordering: .relaxed) }
    func answered(_ query: ClientQuery, rcode: DNSRCode, source: AnswerSource, provider: String?, latencyNanos: UInt64) {
        answers.withLock { $0[source, default: 0] += 1 }
    }
    func count(_ source: AnswerSource) -> Int { answers.withLock { $0[source] ?? 0 } }
    func coalesced() {}
    func prefetchStarted() {}
    func lastKnownGoodKept(name: DNSName) { heldServed.wrappingAdd(1, ordering: .relaxed) }
    func rejected(transport: Transport, rcode: DNSRCode?) {}
    func failureCacheHit() { failureHits.wrappingAdd(1, ordering: .relaxed) }
    let inFlightLimited = Atomic<Int>(0)
    func inFlightLimitReached() { inFlightLimited.wrappingAdd(1, ordering: .relaxed) }
}

func aRecord(_ name: String, _ address: [UInt8], ttl: UInt32 = 300) throws -> DNSRecord {
    DNSRecord(name: try DNSName(name), type: .a, ttl: ttl, data: .a(address))
}

func soaRecord(_ zone: String, ttl: UInt32 = 3600, minimum: UInt32 = 60) throws -> DNSRecord {
    DNSRecord(name: try DNSName(zone), type: .soa, ttl: ttl, data: .soa(SOAData(
        mname: try DNSName("ns.\(zone)"), rname: try DNSName("hostmaster.\(zone)"), serial: 1, refresh: 3600, retry: 600,
        expire: 86_400, minimum: minimum)))
}
