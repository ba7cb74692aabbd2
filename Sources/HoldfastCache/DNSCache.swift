// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Synchronization

/// The DNS answer cache: sharded by name (a `Mutex` per shard), LRU-bounded by `maxEntries`,
/// positive and negative entries, TTL countdown, stale window, prefetch claims and the
/// refresh-failure recheck timer. Owns every cached answer; persistence goes through
/// `snapshot(now:)` / `restore(_:now:)` and `CacheSnapshotFile`.
///
/// Times are injected monotonic milliseconds. All names of one key live in one shard, so
/// `flush(name:)` and `entries(named:)` touch a single shard.
///
/// Each shard keeps its own LRU list and an exact share of `maxEntries`, so the bound always
/// holds and the order is exact within a shard. A small cache is one shard (exact LRU); a
/// larger one is split only so far that every shard holds at least
/// `minimumEntriesPerShard`, where the uneven spread of names over shards is a small fraction
/// of a shard.
public final class DNSCache: Sendable {
    /// Holds one shard's lock; a class because `Mutex` cannot live in an array.
    final class ShardBox: Sendable {
        let state: Mutex<CacheShard>
        init(_ shard: CacheShard) { state = Mutex(shard) }
    }

    let shards: [ShardBox]
    private let settings: Mutex<CacheConfiguration>

    /// Entries every shard holds at least before the cache is split into more shards.
    static let minimumEntriesPerShard = 8_192

    /// How many shards a cache of `maxEntries` uses: at most `limit` (the configured
    /// `shardCount`), one when the cache is small.
    static func shardCount(maxEntries: Int, limit: Int, minimumPerShard: Int = minimumEntriesPerShard) -> Int {
        max(1, min(limit, maxEntries / max(1, minimumPerShard)))
    }

    /// `configuration.shardCount` is the most shards it may use; `configuration` reports the
    /// number it does use (see `shardCount(maxEntries:limit:)`).
    public convenience init(configuration: CacheConfiguration) {
        self.init(configuration: configuration, minimumEntriesPerShard: Self.minimumEntriesPerShard)
    }

    /// Tests pass a smaller `minimumEntriesPerShard` to exercise several shards with few entries.
    init(configuration: CacheConfiguration, minimumEntriesPerShard: Int) {
        let shardCount = Self.shardCount(maxEntries: configuration.maxEntries, limit: configuration.shardCount,
                                         minimumPerShard: minimumEntriesPerShard)
        var configuration = configuration
        configuration.shardCount = shardCount
        var boxes: [ShardBox] = []
        for shard in 0..<shardCount {
            let capacity = Self.capacity(ofShard: shard, total: configuration.maxEntries, shards: shardCount)
            boxes.append(ShardBox(CacheShard(configuration: configuration, capacity: capacity)))
        }
        shards = boxes
        settings = Mutex(configuration)
    }

    /// Splits `total` exactly over the shards (the first `total % shards` get one more).
    static func capacity(ofShard shard: Int, total: Int, shards: Int) -> Int {
        let total = max(0, total)
        return total / shards + (shard < total % shards ? 1 : 0)
    }

    @inline(__always)
    func shardIndex(_ key: ShardKey) -> Int {
        let hash = NameBytes.shardHash(key.bytes, start: Int(key.nameStart), length: Int(key.nameLength))
        return Int(truncatingIfNeeded: hash % UInt64(shards.count))
    }

    public var configuration: CacheConfiguration { settings.withLock { $0 } }

    // MARK: Reads

    /// Finds an answer; touches the LRU, counts the hit and may hand out the prefetch claim.
    public func lookup(_ key: CacheKey, now: CacheMillis) -> CacheLookup {
        guard let shardKey = ShardKey(key) else { return .miss }
        let time = Int64(clamping: now)
        return shards[shardIndex(shardKey)].state.withLock { $0.lookup(shardKey, now: time) }
    }

    /// Like `lookup` without side effects: no LRU touch, no hit count, no prefetch claim.
    public func peek(_ key: CacheKey, now: CacheMillis) -> CacheLookup {
        guard let shardKey = ShardKey(key) else { return .miss }
        let time = Int64(clamping: now)
        return shards[shardIndex(shardKey)].state.withLock { $0.peek(shardKey, now: time) }
    }

    /// Every entry with this name (all types, classes, DO), as `peek` sees it (for GET /cache).
    public func entries(named name: DNSName, now: CacheMillis) -> [(CacheKey, CacheLookup)] {
        let wire = name.wireBytes
        let probe = ShardKey(bytes: wire, nameStart: 0, nameLength: UInt8(truncatingIfNeeded: wire.count), type: 0, qclass: 0, dnssecOK: false)
        let time = Int64(clamping: now)
        let found: [(ShardKey, CacheLookup)] = shards[shardIndex(probe)].state.withLock { shard in
            var result: [(ShardKey, CacheLookup)] = []
            var cursor = shard.head
            while cursor >= 0 {
                let entry = shard.slots[Int(cursor)]
                if entry.key.hasName(wire) { result.append((entry.key, shard.result(for: entry, now: time, prefetch: false))) }
                cursor = entry.next
            }
            return result
        }
        return found.compactMap { pair in pair.0.cacheKey.map { ($0, pair.1) } }
    }

    public var count: Int { shards.reduce(0) { sum, box in sum + box.state.withLock { $0.count } } }

    public var statistics: CacheStatistics {
        shards.reduce(CacheStatistics()) { sum, box in sum + box.state.withLock { $0.statistics } }
    }

    // MARK: Writes

    /// Caches `message` as the answer for `key` (see `StorePolicy` for what is cached and how
    /// TTLs are clamped) and returns the stored form, or nil when it must not be cached —
    /// failures never replace an entry. A new answer clears the prefetch claim and the
    /// refresh-failure timer.
    @discardableResult
    public func store(_ key: CacheKey, message: DNSMessage, now: CacheMillis) -> StoredAnswer? {
        let configuration = settings.withLock { $0 }
        guard let prepared = StorePolicy.prepare(message, for: key, configuration: configuration) else { return nil }
        return insert(prepared, key: key, now: now)
    }

    /// `store(_:message:now:)` for an upstream reply scanned in place (`ScannedReply`): the
    /// same policy, applied to the reply's own bytes; no decoding, no re-encoding.
    @discardableResult
    public func store(_ key: CacheKey, reply: ScannedReply, now: CacheMillis) -> StoredAnswer? {
        let configuration = settings.withLock { $0 }
        guard let prepared = StorePolicy.prepare(reply, for: key, configuration: configuration) else { return nil }
        return insert(prepared, key: key, now: now)
    }

    private func insert(_ prepared: StorePolicy.Prepared, key: CacheKey, now: CacheMillis) -> StoredAnswer {
        let answer = prepared.answer
        let shardKey = ShardKey(answer: answer, type: key.type.rawValue, qclass: key.qclass.rawValue, dnssecOK: key.dnssecOK)
        let time = Int64(clamping: now)
        shards[shardIndex(shardKey)].state.withLock { shard in
            _ = shard.insert(key: shardKey, ttlOffsets: answer.ttlOffsets, storedAt: time, ttl: answer.minimumTTL,
                             rcode: answer.rcode.rawValue, isNegative: prepared.isNegative)
        }
        return answer
    }

    /// Starts the failure recheck timer: for `failureRecheckSeconds` a stale lookup reports
    /// `refreshBlocked`.
    public func markRefreshFailed(_ key: CacheKey, now: CacheMillis) {
        guard let shardKey = ShardKey(key) else { return }
        let time = Int64(clamping: now)
        shards[shardIndex(shardKey)].state.withLock { $0.markRefreshFailed(shardKey, now: time) }
    }

    /// Removes every entry (nil) or every entry with this name, any type. Returns how many.
    @discardableResult
    public func flush(name: DNSName?) -> Int {
        guard let name else {
            return shards.reduce(0) { sum, box in sum + box.state.withLock { $0.removeAll() } }
        }
        let wire = name.wireBytes
        let probe = ShardKey(bytes: wire, nameStart: 0, nameLength: UInt8(truncatingIfNeeded: wire.count), type: 0, qclass: 0, dnssecOK: false)
        return shards[shardIndex(probe)].state.withLock { $0.removeAll(named: wire) }
    }

    /// Applies new limits (reload); shrinking `maxEntries` evicts least recently used entries
    /// at once. The shard count stays what it was at init.
    public func reconfigure(_ configuration: CacheConfiguration) {
        var applied = configuration
        applied.shardCount = shards.count
        settings.withLock { $0 = applied }
        for (number, box) in shards.enumerated() {
            let capacity = Self.capacity(ofShard: number, total: applied.maxEntries, shards: shards.count)
            box.state.withLock { shard in
                shard.configuration = applied
                shard.setCapacity(capacity)
            }
        }
    }
}
