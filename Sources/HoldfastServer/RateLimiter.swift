// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastResolver
import Synchronization

/// Per-client-address token buckets (`server.rate_limit_qps`, `server.rate_limit_burst`).
/// Sharded by address so event-loop threads rarely meet on one lock; each shard forgets all
/// its clients when it grows past a bound, so a spoofed-source flood cannot grow memory.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedNanos: UInt64
    }

    private struct ClientKey: Hashable {
        var high: UInt64
        var low: UInt64
    }

    private final class Shard: Sendable {
        let buckets = Mutex<[ClientKey: Bucket]>([:])
    }

    private static let shardCount = 16
    private static let maxClientsPerShard = 4096
    private let shards: [Shard]
    private let ratePerSecond: Double
    private let burst: Double

    /// `qps` tokens per second, at most `burst` saved up (0 = same as `qps`).
    init(qps: Int, burst: Int) {
        ratePerSecond = Double(max(qps, 1))
        self.burst = Double(burst > 0 ? burst : max(qps, 1))
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Takes one token for `client`; false when its bucket is empty.
    func allow(_ client: ClientEndpoint, nowNanos: UInt64) -> Bool {
        let key = ClientKey(high: client.high, low: client.low)
        let shard = Int(truncatingIfNeeded: (client.low ^ (client.low >> 29) ^ client.high) & UInt64(Self.shardCount - 1))
        return shards[shard].buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updatedNanos: nowNanos)
            let elapsed = Double(nowNanos &- bucket.updatedNanos) / 1e9
            bucket.tokens = min(burst, bucket.tokens + elapsed * ratePerSecond)
            bucket.updatedNanos = nowNanos
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if buckets.count >= Self.maxClientsPerShard && buckets[key] == nil { buckets.removeAll(keepingCapacity: true) }
            buckets[key] = bucket
            return allowed
        }
    }
}
