// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Dispatch
import DNSWire
import HoldfastCache
import HoldfastResolver
import Logging
import Synchronization

/// libFuzzer entry point for the whole query path in-process: client bytes →
/// `QueryResolver.handle` (→ `resolve` with a fuzz-scripted upstream and a real `DNSCache`) →
/// reply bytes, twice (the second time after the clock moved and the upstream changed, so
/// cache hits, stale answers and last-known-good are reached).
///
/// Input layout: byte 0 control, bytes 1-2 query length L (big-endian, clamped), L bytes of
/// client query, the rest the upstream reply template (header + records; the question is
/// spliced in). Control bits: 0 TCP, 1-2 upstream mode of round 2, 3 known-down in round 2,
/// 4-6 clock step between rounds, 7 client sends a second ID/case variant.
///
/// Checked on every reply: it decodes, carries the client's ID, its question (if any) is the
/// client's spelling, and over UDP it fits the client's EDNS size (no amplification).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQueryPath(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count >= 3 else { return 0 }
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    let control = input[0]
    let length = min(Int(input[1]) << 8 | Int(input[2]), input.count - 3)
    let query = Array(input[3..<(3 + length)])
    let template = Array(input[(3 + length)...])
    let transport: Transport = control & 1 == 0 ? .udp : .tcp

    let world = World(template: template)
    world.exchange(query, transport: transport)

    let step: [UInt64] = [0, 1_000, 59_000, 301_000, 3_600_000, 86_400_000, 90_000_000, 200_000_000]
    world.clock.advance(millis: step[Int((control >> 4) & 7)])
    let mode = FuzzUpstream.Mode(rawValue: (control >> 1) & 3) ?? .fail
    world.upstream.set(mode: mode, knownDown: control & 8 != 0)
    var second = query
    if control & 0x80 != 0, second.count >= 2 {
        second[0] ^= 0x5A
        // Flip the case of the first label's letters, as another client might spell it.
        if second.count > 13 {
            let labelLength = Int(second[12])
            for index in 13..<min(13 + labelLength, second.count) where (second[index] | 0x20) >= 0x61 && (second[index] | 0x20) <= 0x7A {
                second[index] ^= 0x20
            }
        }
    }
    world.exchange(second, transport: transport)
    return 0
}

/// A resolver wired to a real cache, the fuzz upstream and a fuzz clock; fresh per input.
private struct World {
    let clock = FuzzClock()
    let upstream: FuzzUpstream
    let resolver: QueryResolver

    static let local: [DNSRecord] = {
        guard let name = try? DNSName("router.lan."), let alias = try? DNSName("alias.lan.") else { return [] }
        return [
            DNSRecord(name: name, type: .a, ttl: 300, data: .a([192, 0, 2, 1])),
            DNSRecord(name: alias, type: .cname, ttl: 300, data: .name(name)),
            DNSRecord(name: name, type: .txt, ttl: 300, data: .txt([Array("hello".utf8)])),
        ]
    }()

    init(template: [UInt8]) {
        upstream = FuzzUpstream(replyTemplate: template)
        let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 64, shardCount: 2))
        resolver = QueryResolver(
            configuration: ResolverConfiguration(
                clientTimeoutMs: 1800, lastKnownGood: LastKnownGoodPatterns(["*.example", "keep.test"]),
                localZone: LocalZone(records: Self.local)),
            cache: cache, upstream: upstream, clock: clock,
            logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// One client query through the resolver, with the reply checked.
    func exchange(_ query: [UInt8], transport: Transport) {
        let disposition = query.withUnsafeBytes { resolver.handle($0, transport: transport, client: ClientEndpoint()) }
        let reply: [UInt8]
        switch disposition {
        case .drop:
            return
        case .raw(let bytes):
            reply = bytes
        case .answer(let clientQuery, let answer):
            reply = answer.bytes(for: clientQuery)
            checkQuestion(reply, clientQuery)
        case .resolve(let clientQuery):
            let resolver = self.resolver
            let answer = blocking { await resolver.resolve(clientQuery) }
            reply = answer.bytes(for: clientQuery)
            checkQuestion(reply, clientQuery)
        }
        check(reply, for: query, transport: transport)
    }
}

private func check(_ reply: [UInt8], for query: [UInt8], transport: Transport) {
    guard let message = try? DNSMessage(parsing: reply) else { fail("reply does not decode: \(hex(reply))") }
    require(message.header.isResponse, "reply without QR")
    require(query.count >= 2 && message.header.id == UInt16(query[0]) << 8 | UInt16(query[1]), "reply lost the client's ID")
    if transport == .udp {
        let limit = (try? ParsedQuery(bytes: query))?.udpResponseLimit() ?? 512
        require(reply.count <= limit, "UDP reply \(reply.count) bytes over the client's limit \(limit)")
    }
}

private func checkQuestion(_ reply: [UInt8], _ query: ClientQuery) {
    guard let message = try? DNSMessage(parsing: reply) else { fail("reply does not decode: \(hex(reply))") }
    require(message.questions.count == 1, "answer without the question")
    require(message.questions[0].name.hasIdenticalCase(to: query.question.name),
            "answer does not carry the client's spelling: \(message.questions[0].name) vs \(query.question.name)")
    require((message.edns != nil) == (query.edns != nil), "OPT in the answer iff the query had one")
}

/// Runs async work to completion from libFuzzer's synchronous callback (which is not on a
/// Swift concurrency thread, so blocking it is fine).
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        let result = await body()
        box.value.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    guard let value = box.value.withLock({ $0 }) else { fail("async work produced nothing") }
    return value
}

private final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}

private func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("FuzzQueryPath property violated: \(message)")
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.prefix(256).map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
}
