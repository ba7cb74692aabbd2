// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// A point-in-time copy of the cache's entries (stale ones included), least recently used
/// first, with each entry's age relative to the moment it was taken. Taking one copies
/// references under the shard locks; encoding happens outside them (`CacheSnapshotFile`).
public struct CacheSnapshot: Sendable {
    /// One cached answer and how old it was when the snapshot was taken.
    public struct Entry: Sendable {
        let key: ShardKey
        let ttlOffsets: [UInt16]
        /// Milliseconds since it was stored (never negative).
        public let ageMilliseconds: Int64
        /// Lifetime in seconds.
        public let ttlSeconds: UInt32
        let rcode: UInt16
        public let isNegative: Bool

        init(key: ShardKey, ttlOffsets: [UInt16], ageMilliseconds: Int64, ttlSeconds: UInt32, rcode: UInt16, isNegative: Bool) {
            self.key = key
            self.ttlOffsets = ttlOffsets
            self.ageMilliseconds = max(0, ageMilliseconds)
            self.ttlSeconds = ttlSeconds
            self.rcode = rcode
            self.isNegative = isNegative
        }

        /// The key (allocates a `DNSName`; for tests and tools).
        public var cacheKey: CacheKey? { key.cacheKey }

        public var answer: StoredAnswer {
            StoredAnswer(bytes: key.bytes, ttlOffsets: ttlOffsets, questionNameLength: Int(key.nameLength),
                         minimumTTL: ttlSeconds, rcode: DNSRCode(rcode))
        }
    }

    public internal(set) var entries: [Entry]
    /// The resolver's holds (collapse guard, operator), persisted with the entries.
    public var holds: [SnapshotHold] = []

    public init() { entries = [] }
    init(entries: [Entry]) { self.entries = entries }

    public var count: Int { entries.count }
}

extension DNSCache {
    /// Copies every live entry (fresh and stale), least recently used first per shard.
    public func snapshot(now: CacheMillis) -> CacheSnapshot {
        let time = Int64(clamping: now)
        var entries: [CacheSnapshot.Entry] = []
        let expected = count
        entries.reserveCapacity(expected + expected / 16 + 16)  // one allocation; stores may race in
        for box in shards {
            box.state.withLock { shard in
                var cursor = shard.tail
                while cursor >= 0 {
                    let entry = shard.slots[Int(cursor)]
                    cursor = entry.prev
                    if case .gone = shard.age(of: entry, now: time) { continue }
                    entries.append(CacheSnapshot.Entry(
                        key: entry.key, ttlOffsets: entry.ttlOffsets, ageMilliseconds: time - entry.storedAt,
                        ttlSeconds: entry.ttl, rcode: entry.rcode, isNegative: entry.isNegative))
                }
            }
        }
        return CacheSnapshot(entries: entries)
    }

    /// Loads a snapshot's entries as if stored `ageMilliseconds` before `now`. Entries past the
    /// stale window (or expired, with serve-stale off) are dropped; keys already cached keep
    /// their live entry. Returns how many entries were added.
    @discardableResult
    public func restore(_ snapshot: CacheSnapshot, now: CacheMillis) -> Int {
        let time = Int64(clamping: now)
        let shardCount = shards.count
        var perShard = [[Int32]](repeating: [], count: shardCount)
        for (position, entry) in snapshot.entries.enumerated() {
            perShard[shardIndex(entry.key)].append(Int32(truncatingIfNeeded: position))
        }
        var added = 0
        for (number, positions) in perShard.enumerated() where !positions.isEmpty {
            shards[number].state.withLock { shard in
                let wanted = min(shard.capacity, shard.count + positions.count)
                if wanted > shard.index.capacity { shard.index.reserveCapacity(wanted) }
                if wanted > shard.slots.capacity { shard.slots.reserveCapacity(wanted) }
                let before = shard.count
                let counters = shard.statistics
                for position in positions {
                    let entry = snapshot.entries[Int(position)]
                    let storedAt = time - entry.ageMilliseconds
                    let probe = CacheEntry(
                        key: entry.key, ttlOffsets: [], storedAt: storedAt, failedAt: Int64.min, ttl: entry.ttlSeconds,
                        prev: -1, next: -1, rcode: entry.rcode, hits: 0, flags: 0)
                    if case .gone = shard.age(of: probe, now: time) { continue }
                    // Live entries are newer than the snapshot's; an empty shard needs no check.
                    if before > 0, shard.index[entry.key] != nil { continue }
                    shard.insert(key: entry.key, ttlOffsets: entry.ttlOffsets, storedAt: storedAt, ttl: entry.ttlSeconds,
                                 rcode: entry.rcode, isNegative: entry.isNegative, knownAbsent: before == 0,
                                 internOffsets: false)
                }
                added += shard.count - before
                shard.statistics = counters  // restoring is not traffic
            }
        }
        return added
    }
}
