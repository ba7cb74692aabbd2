// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Benchmark
import DNSWire
import HoldfastCache
import HoldfastResolver
import HoldfastUpstream
import Logging

/// An upstream that is never reached on the cache-hit path; it says "all down" if it is.
struct UnreachableUpstream: UpstreamResolving {
    func start(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?,
               completion: @escaping @Sendable (UpstreamResult) -> Void) {
        completion(.allDown)
    }
    func isKnownDown(for name: DNSName) -> Bool { false }
    /// Never needed: every question completes at once.
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {}
}

/// The cache-hit path without sockets: packet in, `QueryResolver.handle`, reply bytes out
/// into a preallocated buffer (what the UDP handler does per datagram).
func registerCacheHitBenchmarks() {
    let clock = SystemMillisecondClock()
    let cache = DNSCache(configuration: CacheConfiguration(maxEntries: 10_000, prefetch: false))
    let resolver = QueryResolver(
        configuration: ResolverConfiguration(prefetch: false), cache: cache, upstream: UnreachableUpstream(),
        clock: clock, logger: Logger(label: "bench"))
    var answer = typicalAnswer()
    answer.edns = EDNS(udpPayloadSize: 1232)
    // Warm the cache with the answer, keyed as the resolver keys the query.
    _ = cache.store(CacheKey(name: answer.questions[0].name, type: .a), message: answer, now: clock.nowMillis())
    let packet = typicalQueryBytes()

    Benchmark("Resolver: cache hit, packet in to bytes out (handle + Reply.write)") { benchmark in
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 8)
        defer { output.deallocate() }
        var written = 0
        packet.withUnsafeBytes { buffer in
            for _ in benchmark.scaledIterations {
                switch resolver.handle(buffer, transport: .udp, client: ClientEndpoint()) {
                case .answer(let query, let reply):
                    written &+= reply.write(into: output, for: query)
                default:
                    // Not a hit: the numbers would be meaningless, so say so loudly.
                    fatalError("cache-hit benchmark: the warmed answer was not a cache hit")
                }
            }
        }
        blackHole(written)
    }
}
