// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastCache
import HoldfastUpstream
import Logging

/// How one answer was found: the reply, where it came from and which upstream answered.
struct Resolution: Sendable {
    var reply: Reply
    var source: AnswerSource
    var via: UpstreamVia?
}

/// The collapse guard (SPEC "When an answer collapses"): a name whose positive answer turns
/// into NXDOMAIN or an empty NOERROR, confirmed by one more provider where there is one,
/// keeps its last positive answer for `collapse_hold_s` (listed `last_known_good` names until
/// `max_age_s` past expiry), re-checked upstream at most every `holdRecheckMillis` while
/// asked; the first answer with data ends the hold.
///
/// Edges, decided here:
/// - Emptiness is judged at the end of a CNAME chain: an answer without a record of the asked
///   type (a chain whose target collapsed) is empty, and the whole old chain is held.
/// - Holds are per question (name, type, class, DO): the AAAA of a name whose A is held is
///   held only if the AAAA itself had data and collapsed.
/// - An answer with a filtering EDE (15-18) is a provider's policy: it passes through, is
///   never confirmed elsewhere, and ends a hold of the name.
extension QueryResolver {
    static func isFreshPositive(_ lookup: CacheLookup) -> Bool {
        if case .fresh(let hit, _) = lookup { return !hit.isNegative }
        return false
    }

    func holdRules() -> HoldRules {
        let (collapse, listed) = configuration.withLock { (UInt64(max(0, $0.collapseHoldSeconds)) * 1000, $0.lastKnownGood) }
        let maxAge = UInt64(cache.configuration.staleMaxAgeSeconds) * 1000
        return HoldRules(collapseHoldMillis: collapse, maxAgeMillis: maxAge, isListed: { listed.matches($0) })
    }

    /// The synchronous path's answer for a held name: its kept answer (stale form), with a
    /// background re-check at most every `holdRecheckMillis`. Nil when the name is not held.
    func heldAnswer(_ query: ClientQuery, key: CacheKey, now: UInt64, observer: some ResolverObserver) -> Disposition? {
        let recheckMillis = configuration.withLock { $0.holdRecheckMillis }
        let (held, ended, recheck) = holds.serve(key, now: now, rules: holdRules(), recheckMillis: recheckMillis)
        if let ended { holdEnded(ended, why: "hold expired") }
        guard let held else { return nil }
        if recheck { startRecheck(key, question: query.question) }
        observer.lastKnownGoodKept(name: key.name)
        return answerNow(query, staleReply(held.answer), source: .held, provider: nil, observer: observer)
    }

    /// Asks upstream again about a held name, in the background (one fetch per name).
    private func startRecheck(_ key: CacheKey, question: DNSQuestion) {
        guard let joined = flights.join(key, limit: configuration.withLock { $0.maxInFlight }), joined.isLeader else { return }
        startFetch(key, question: question, flight: joined.flight)
    }

    // MARK: Absorbing upstream results

    /// Turns an upstream result into a cache update and a shared outcome; a reply that may be
    /// a collapse is first confirmed at one more provider (asynchronously).
    func absorb(_ result: UpstreamResult, key: CacheKey, question: DNSQuestion, done: @escaping @Sendable (FetchOutcome) -> Void) {
        let now = clock.nowMillis()
        switch result {
        case .answer(let reply, let provider, let server, let attempts):
            if let scanned = ScannedReply(reply: reply), scanned.rcode == .noError, scanned.hasQuestionTypeData {
                // The common case, an answer with data: stored as the reply's own bytes, scanned
                // once (no decode, lowercase and re-encode); it ends any hold of the name.
                failures.recordSuccess(key)
                let via = UpstreamVia(provider: provider, server: server, attempts: attempts)
                if let ended = holds.answered(key) { holdEnded(ended, why: "upstream answers with data again (\(provider))") }
                let stored = cache.store(key, reply: scanned, now: now) ?? scanned.storedAnswer()
                return done(.answer(stored, via: via))
            }
            guard let message = parsed(reply, key: key, provider: provider, server: server, now: now) else { return done(.failed) }
            failures.recordSuccess(key)
            let via = UpstreamVia(provider: provider, server: server, attempts: attempts)
            if Self.hasData(message, for: question) { return done(storeAnswer(message, key: key, via: via, now: now)) }
            if Self.isFiltered(message) {
                if let ended = holds.end(key) {
                    holdEnded(ended, why: "upstream answers with a filtering EDE (\(provider))")
                }
                return done(storeAnswer(message, key: key, via: via, now: now))
            }
            if let held = holds.record(key), held.active {
                // Still empty while held (a re-check, or a fetch racing the hold).
                holds.stillEmpty(key, upstreamNow: Self.describe(message), now: now)
                return done(.held(held.answer, via: via))
            }
            guard let candidate = collapseCandidate(key, now: now) else { return done(storeAnswer(message, key: key, via: via, now: now)) }
            upstream.startConfirming(question, dnssecOK: key.dnssecOK, excludingProvider: provider) { [self] confirmation in
                let now = clock.nowMillis()
                var confirmedBy = [provider]
                var total = attempts
                if case .answer(let reply, let otherProvider, let otherServer, let otherAttempts) = confirmation,
                   let other = parsed(reply, key: key, provider: otherProvider, server: otherServer, now: now) {
                    total += otherAttempts
                    let otherVia = UpstreamVia(provider: otherProvider, server: otherServer, attempts: total)
                    if Self.hasData(other, for: question) {
                        logger.notice("one provider answered empty, another with data; serving the data", metadata: [
                            "name": "\(key.name)", "type": "\(key.type)", "empty_at": "\(provider)", "data_from": "\(otherProvider)"])
                        return done(storeAnswer(other, key: key, via: otherVia, now: now))
                    }
                    confirmedBy.append(otherProvider)
                }
                let outcome = collapse(
                    key, candidate: candidate, upstreamNow: Self.describe(message), confirmedBy: confirmedBy, now: now,
                    via: UpstreamVia(provider: provider, server: server, attempts: total))
                done(outcome ?? storeAnswer(message, key: key, via: via, now: now))
            }
        case .failed(let error):
            logger.debug("upstream failed", metadata: ["name": "\(question.name)", "error": "\(error)"])
            cache.markRefreshFailed(key, now: now)
            if error != .cancelled && error != .noServers { failures.recordFailure(key, now: now) }
            done(.failed)
        case .allDown:
            cache.markRefreshFailed(key, now: now)
            done(.allDown)
        }
    }

    private func parsed(_ reply: [UInt8], key: CacheKey, provider: String, server: String, now: UInt64) -> DNSMessage? {
        guard let message = (try? DNSMessage(parsing: reply))?.withLowercasedNames() else {
            logger.debug("unparseable upstream reply", metadata: ["provider": "\(provider)", "server": "\(server)"])
            cache.markRefreshFailed(key, now: now)
            failures.recordFailure(key, now: now)
            return nil
        }
        return message
    }

    /// Caches a reply and makes it the outcome; an answer with data ends any hold of the question.
    private func storeAnswer(_ message: DNSMessage, key: CacheKey, via: UpstreamVia, now: UInt64) -> FetchOutcome {
        if Self.hasData(message, for: DNSQuestion(name: key.name, type: key.type, qclass: key.qclass)), let ended = holds.answered(key) {
            holdEnded(ended, why: "upstream answers with data again (\(via.provider))")
        }
        guard let stored = cache.store(key, message: message, now: now) ?? StoredAnswer(message: message) else { return .failed }
        return .answer(stored, via: via)
    }

    /// The positive answer a collapse of `key` would keep, and when its TTL ran out; nil when
    /// the guard does not apply (off for this name, no positive answer within `max_age_s`, or
    /// the name's last hold ended and it has had no answer with data since).
    private func collapseCandidate(_ key: CacheKey, now: UInt64) -> (answer: StoredAnswer, expiresAt: UInt64)? {
        let rules = holdRules()
        guard rules.collapseHoldMillis > 0 || rules.isListed(key.name) else { return nil }
        guard holds.record(key) == nil else { return nil }
        guard let positive = positiveAnswer(key, now: now) else { return nil }
        guard now < positive.expiresAt &+ rules.maxAgeMillis else { return nil }
        return positive
    }

    /// The cached answer with data for `key` (fresh or stale) and when it expires.
    func positiveAnswer(_ key: CacheKey, now: UInt64) -> (answer: StoredAnswer, expiresAt: UInt64)? {
        let lookup = cache.peek(key, now: now)
        let expiresAt: UInt64
        switch lookup {
        case .fresh(let hit, _): expiresAt = now &+ UInt64(hit.remainingSeconds) * 1000
        case .stale(_, let expired, _): expiresAt = now &- min(now, UInt64(expired) * 1000)
        case .miss: return nil
        }
        guard let hit = lookup.hit, !hit.isNegative, let message = try? DNSMessage(parsing: hit.answer.bytes),
              Self.hasData(message, for: DNSQuestion(name: key.name, type: key.type, qclass: key.qclass)) else { return nil }
        return (hit.answer, expiresAt)
    }

    /// Starts a collapse hold, logs it once and counts it. Nil when the table is full.
    private func collapse(
        _ key: CacheKey, candidate: (answer: StoredAnswer, expiresAt: UInt64), upstreamNow: String, confirmedBy: [String],
        now: UInt64, via: UpstreamVia
    ) -> FetchOutcome? {
        let held = HeldAnswer(
            key: key, answer: candidate.answer, positiveExpiresAt: candidate.expiresAt, reason: .collapse, since: now,
            upstreamNow: upstreamNow, lastChecked: now)
        guard holds.hold(held) else {
            logger.warning("answer collapsed but the hold table is full; passing it through", metadata: ["name": "\(key.name)", "type": "\(key.type)"])
            return nil
        }
        let rules = holdRules()
        let until = rules.until(held)
        logger.warning("answer collapsed; holding the last known good answer", metadata: [
            "name": "\(key.name)", "type": "\(key.type)", "dnssec_ok": "\(key.dnssecOK)",
            "was": "\(Self.dataSummary(candidate.answer, type: key.type))", "upstream_now": "\(upstreamNow)",
            "confirmed_by": "\(confirmedBy.joined(separator: ","))", "reason": "\(rules.reason(of: held).rawValue)",
            "held_until": "\(WallClock.timestamp(ofMonotonic: until, now: now))"])
        observer.answerCollapsed(name: key.name)
        observer.holdsChanged(active: holds.count)
        return .held(candidate.answer, via: via)
    }

    func holdEnded(_ held: HeldAnswer, why: String) {
        logger.notice("hold ended", metadata: [
            "name": "\(held.key.name)", "type": "\(held.key.type)", "why": "\(why)", "answers_served": "\(held.served)"])
        observer.holdsChanged(active: holds.count)
    }

    // MARK: Judging replies

    /// True when the reply has a record of the asked type (any record for ANY). A CNAME alone
    /// is no data: emptiness is judged at the end of the chain.
    static func hasData(_ message: DNSMessage, for question: DNSQuestion) -> Bool {
        guard message.rcode == .noError else { return false }
        return message.answers.contains { $0.type == question.type || question.type == .any }
    }

    /// A filtering Extended DNS Error (15 Blocked, 16 Censored, 17 Filtered, 18 Prohibited).
    static func isFiltered(_ message: DNSMessage) -> Bool {
        message.edns?.extendedErrorCodes.contains { (15...18).contains($0) } ?? false
    }

    /// "NXDOMAIN" or "NOERROR, no data".
    static func describe(_ message: DNSMessage) -> String {
        message.rcode == .nxDomain ? "NXDOMAIN" : "\(message.rcode), no data"
    }

    /// The data of the asked type in a stored answer, e.g. "192.0.2.7 192.0.2.8".
    static func dataSummary(_ answer: StoredAnswer, type: DNSType) -> String {
        guard let message = try? DNSMessage(parsing: answer.bytes) else { return "" }
        return message.answers.filter { $0.type == type || type == .any }.map { "\($0.data)" }.joined(separator: " ")
    }

    // MARK: Housekeeping and the operator's tools

    /// Ends holds past their time (the daemon calls this on its housekeeping tick, so the
    /// gauge and `/health` follow even when nobody asks). Returns how many are in force.
    @discardableResult
    public func expireHolds() -> Int {
        let ended = holds.expire(now: clock.nowMillis(), rules: holdRules())
        for held in ended { holdEnded(held, why: "hold expired") }
        return holds.count
    }

    /// Holds in force, as `GET /held` lists them.
    public func heldNames() -> [HeldStatus] {
        expireHolds()
        let now = clock.nowMillis()
        let rules = holdRules()
        return holds.all().filter(\.active).map { HeldStatus(held: $0, rules: rules, now: now) }
            .sorted { ($0.name, $0.type, $0.dnssecOK ? 1 : 0) < ($1.name, $1.type, $1.dnssecOK ? 1 : 0) }
    }

    /// Why an operator hold could not be made.
    public enum HoldRefusal: Error, Equatable {
        /// Nothing positive is known for the name and type (never cached, or past `max_age_s`).
        case noPositiveAnswer
        case tableFull
    }

    /// `holdfastctl hold`: holds (or extends the hold of) every DO variant of name/type that has
    /// a positive answer — cached fresh or stale, or remembered from an earlier hold — until
    /// `seconds` from now (nil: `collapse_hold_s`, or 900 when that is 0).
    public func hold(name: DNSName, type: DNSType, seconds: Int?) -> Result<[HeldStatus], HoldRefusal> {
        let now = clock.nowMillis()
        let rules = holdRules()
        let defaultSeconds = configuration.withLock { $0.collapseHoldSeconds > 0 ? $0.collapseHoldSeconds : 900 }
        let until = now &+ UInt64(max(1, seconds ?? defaultSeconds)) * 1000
        var made: [HeldStatus] = []
        for dnssecOK in [false, true] {
            let key = CacheKey(name: name, type: type, qclass: .in, dnssecOK: dnssecOK)
            var held: HeldAnswer
            if let record = holds.record(key), now < record.positiveExpiresAt &+ rules.maxAgeMillis {
                held = record
                if !record.active { held.since = now }
            } else if let positive = positiveAnswer(key, now: now), now < positive.expiresAt &+ rules.maxAgeMillis {
                held = HeldAnswer(key: key, answer: positive.answer, positiveExpiresAt: positive.expiresAt, reason: .operator,
                                  since: now, lastChecked: now)
            } else {
                continue
            }
            held.reason = .operator
            held.operatorUntil = until
            held.active = true
            guard holds.hold(held) else { return .failure(.tableFull) }
            logger.notice("operator hold", metadata: [
                "name": "\(name)", "type": "\(type)", "dnssec_ok": "\(dnssecOK)",
                "held_until": "\(WallClock.timestamp(ofMonotonic: rules.until(held), now: now))"])
            made.append(HeldStatus(held: held, rules: rules, now: now))
        }
        observer.holdsChanged(active: holds.count)
        return made.isEmpty ? .failure(.noPositiveAnswer) : .success(made)
    }

    /// `holdfastctl release`: ends the holds of name/type (every DO variant); the current
    /// upstream answer passes through from now on. Returns how many ended.
    public func release(name: DNSName, type: DNSType) -> Int {
        let released = holds.release(name: name, type: type)
        for held in released { holdEnded(held, why: "released by the operator") }
        return released.count
    }
}

/// One hold as `GET /held` shows it (times in wall-clock seconds since 1970).
public struct HeldStatus: Sendable, Equatable {
    public var name: String
    public var type: String
    public var dnssecOK: Bool
    public var reason: HoldReason
    public var sinceEpochSeconds: Double
    public var untilEpochSeconds: Double
    public var remainingSeconds: Int
    /// The held answer's data of the asked type, in presentation form.
    public var records: [String]
    /// What upstream says now ("NXDOMAIN", "NOERROR, no data"); nil when not asked since.
    public var upstreamNow: String?
    public var answersServed: UInt64

    init(held: HeldAnswer, rules: HoldRules, now: UInt64) {
        let until = rules.until(held)
        name = held.key.name.description
        type = held.key.type.description
        dnssecOK = held.key.dnssecOK
        reason = rules.reason(of: held)
        sinceEpochSeconds = WallClock.epochSeconds(ofMonotonic: held.since, now: now)
        untilEpochSeconds = WallClock.epochSeconds(ofMonotonic: until, now: now)
        remainingSeconds = Int((until &- min(until, now) + 999) / 1000)
        records = (try? DNSMessage(parsing: held.answer.bytes))?.answers.filter { $0.type == held.key.type || held.key.type == .any }
            .map { "\($0.name) \($0.type) \($0.data)" } ?? []
        upstreamNow = held.upstreamNow
        answersServed = held.served
    }
}
