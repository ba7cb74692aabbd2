// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// One cache entry: 56 bytes inline, plus the answer's byte array (shared with the key) and
/// an offsets array that is usually interned (shared by every answer of the same shape).
struct CacheEntry {
    var key: ShardKey
    var ttlOffsets: [UInt16]
    /// Monotonic milliseconds; may be negative for entries restored from an older snapshot.
    var storedAt: Int64
    /// When a refresh last failed; `Int64.min` when none since it was stored.
    var failedAt: Int64
    /// Lifetime in seconds (the smallest clamped TTL).
    var ttl: UInt32
    /// LRU neighbours (slot indices, -1 = none); `next` also links the free list.
    var prev: Int32
    var next: Int32
    var rcode: UInt16
    /// Lookups that found it (saturating).
    var hits: UInt8
    var flags: UInt8

    static let negativeFlag: UInt8 = 1
    static let prefetchClaimedFlag: UInt8 = 2

    var isNegative: Bool { flags & Self.negativeFlag != 0 }

    var answer: StoredAnswer {
        StoredAnswer(bytes: key.bytes, ttlOffsets: ttlOffsets, questionNameLength: Int(key.nameLength),
                     minimumTTL: ttl, rcode: DNSRCode(rcode))
    }
}

/// Shares identical small offset arrays (every single-A answer for a name of a given length
/// has the same one), saving one allocation per entry.
struct OffsetInterner {
    private var table: [[UInt16]: [UInt16]] = [:]
    private let limit: Int

    init(limit: Int = 1024) { self.limit = limit }

    mutating func intern(_ offsets: [UInt16]) -> [UInt16] {
        guard !offsets.isEmpty, offsets.count <= 8 else { return offsets }
        if let shared = table[offsets] { return shared }
        if table.count < limit { table[offsets] = offsets }
        return offsets
    }
}

/// What a shard knows about an entry at a given time.
enum EntryAge {
    case fresh(elapsedMillis: Int64)
    case stale(expiredMillis: Int64)
    case gone
}

/// One shard: a slot array with an intrusive index-linked LRU list and a dictionary from key
/// to slot. Always used under its `Mutex` in `DNSCache`.
struct CacheShard {
    var configuration: CacheConfiguration
    var capacity: Int
    var index: [ShardKey: Int32] = [:]
    var slots: [CacheEntry] = []
    /// Most recently used.
    var head: Int32 = -1
    /// Least recently used: evicted first.
    var tail: Int32 = -1
    var freeHead: Int32 = -1
    var statistics = CacheStatistics()
    var interner = OffsetInterner()

    init(configuration: CacheConfiguration, capacity: Int) {
        self.configuration = configuration
        self.capacity = capacity
    }

    var count: Int { index.count }

    /// Minimum lifetime for prefetch: shorter entries just expire (avoids refresh churn).
    static let prefetchMinimumTTLSeconds: UInt32 = 5

    // MARK: Ageing

    func age(of entry: CacheEntry, now: Int64) -> EntryAge {
        let elapsed = max(0, now - entry.storedAt)
        let lifetime = Int64(entry.ttl) * 1000
        if elapsed < lifetime { return .fresh(elapsedMillis: elapsed) }
        let expired = elapsed - lifetime
        guard configuration.staleEnabled, expired < Int64(configuration.staleMaxAgeSeconds) * 1000 else { return .gone }
        return .stale(expiredMillis: expired)
    }

    func result(for entry: CacheEntry, now: Int64, prefetch: Bool) -> CacheLookup {
        switch age(of: entry, now: now) {
        case .fresh(let elapsed):
            let elapsedSeconds = UInt32(clamping: elapsed / 1000)
            let hit = CacheHit(answer: entry.answer, elapsedSeconds: elapsedSeconds,
                               remainingSeconds: entry.ttl - min(entry.ttl, elapsedSeconds), isNegative: entry.isNegative)
            return .fresh(hit, prefetch: prefetch)
        case .stale(let expired):
            let hit = CacheHit(answer: entry.answer, elapsedSeconds: UInt32(clamping: (max(0, now - entry.storedAt)) / 1000),
                               remainingSeconds: 0, isNegative: entry.isNegative)
            let blocked = entry.failedAt != Int64.min
                && now - entry.failedAt < Int64(configuration.failureRecheckSeconds) * 1000
            return .stale(hit, expiredSeconds: UInt32(clamping: expired / 1000), refreshBlocked: blocked)
        case .gone:
            return .miss
        }
    }

    // MARK: Reads

    mutating func lookup(_ key: ShardKey, now: Int64) -> CacheLookup {
        guard let slot = index[key] else {
            statistics.misses &+= 1
            return .miss
        }
        let position = Int(slot)
        var claim = false
        switch age(of: slots[position], now: now) {
        case .gone:
            remove(slot: slot)
            statistics.expired &+= 1
            statistics.misses &+= 1
            return .miss
        case .fresh(let elapsed):
            statistics.hits &+= 1
            slots.withUnsafeMutableBufferPointer { buffer in
                buffer[position].hits = buffer[position].hits == .max ? .max : buffer[position].hits + 1
                let entry = buffer[position]
                let lifetime = Int64(entry.ttl) * 1000
                if configuration.prefetch, entry.hits >= 2, entry.ttl >= Self.prefetchMinimumTTLSeconds,
                   entry.flags & CacheEntry.prefetchClaimedFlag == 0, (lifetime - elapsed) * 10 <= lifetime {
                    buffer[position].flags |= CacheEntry.prefetchClaimedFlag
                    claim = true
                }
            }
            if claim { statistics.prefetches &+= 1 }
        case .stale:
            statistics.staleHits &+= 1
            slots[position].hits = slots[position].hits == .max ? .max : slots[position].hits + 1
        }
        moveToFront(slot)
        return result(for: slots[position], now: now, prefetch: claim)
    }

    func peek(_ key: ShardKey, now: Int64) -> CacheLookup {
        guard let slot = index[key] else { return .miss }
        return result(for: slots[Int(slot)], now: now, prefetch: false)
    }

    // MARK: Writes

    /// Stores or replaces an entry and makes it the most recently used. Returns false when the
    /// shard can hold nothing (capacity 0).
    /// `knownAbsent` skips the lookup for an existing entry (restoring into an empty shard);
    /// `internOffsets: false` when the offsets are already shared (the snapshot decoder does it).
    @discardableResult
    mutating func insert(
        key: ShardKey, ttlOffsets: [UInt16], storedAt: Int64, ttl: UInt32, rcode: UInt16, isNegative: Bool,
        knownAbsent: Bool = false, internOffsets: Bool = true
    ) -> Bool {
        let entry = CacheEntry(
            key: key, ttlOffsets: internOffsets ? interner.intern(ttlOffsets) : ttlOffsets, storedAt: storedAt,
            failedAt: Int64.min, ttl: ttl, prev: -1, next: -1, rcode: rcode, hits: 0,
            flags: isNegative ? CacheEntry.negativeFlag : 0)
        if !knownAbsent, let slot = index[key] {
            // Replace in place; the dictionary key must point at the new bytes too.
            index.removeValue(forKey: key)
            let links = (slots[Int(slot)].prev, slots[Int(slot)].next)
            slots[Int(slot)] = entry
            slots[Int(slot)].prev = links.0
            slots[Int(slot)].next = links.1
            index[key] = slot
            moveToFront(slot)
            statistics.inserts &+= 1
            return true
        }
        guard capacity > 0 else { return false }
        while index.count >= capacity, tail >= 0 {
            remove(slot: tail)
            statistics.evictions &+= 1
        }
        let slot: Int32
        if freeHead >= 0 {
            slot = freeHead
            freeHead = slots[Int(slot)].next
            slots[Int(slot)] = entry
        } else {
            slot = Int32(slots.count)
            slots.append(entry)
        }
        if let existing = index.updateValue(slot, forKey: key) {
            // Only when `knownAbsent` was wrong (a duplicate in a snapshot): keep the first.
            index[key] = existing
            slots[Int(slot)].key = .empty
            slots[Int(slot)].ttlOffsets = []
            slots[Int(slot)].next = freeHead
            freeHead = slot
            return false
        }
        linkAtFront(slot)
        statistics.inserts &+= 1
        return true
    }

    mutating func markRefreshFailed(_ key: ShardKey, now: Int64) {
        guard let slot = index[key] else { return }
        slots[Int(slot)].failedAt = now
    }

    mutating func remove(slot: Int32) {
        let position = Int(slot)
        unlink(slot)
        index.removeValue(forKey: slots[position].key)
        slots[position].key = .empty
        slots[position].ttlOffsets = []
        slots[position].next = freeHead
        slots[position].prev = -1
        freeHead = slot
    }

    /// Removes every entry with this name (any type, class, DO). Returns how many.
    mutating func removeAll(named name: [UInt8]) -> Int {
        var victims: [Int32] = []
        var cursor = head
        while cursor >= 0 {
            if slots[Int(cursor)].key.hasName(name) { victims.append(cursor) }
            cursor = slots[Int(cursor)].next
        }
        for slot in victims { remove(slot: slot) }
        return victims.count
    }

    mutating func removeAll() -> Int {
        let removed = index.count
        index = [:]
        slots = []
        head = -1
        tail = -1
        freeHead = -1
        return removed
    }

    mutating func setCapacity(_ newCapacity: Int) {
        capacity = max(0, newCapacity)
        while index.count > capacity, tail >= 0 {
            remove(slot: tail)
            statistics.evictions &+= 1
        }
    }

    // MARK: LRU list

    private mutating func unlink(_ slot: Int32) {
        let prev = slots[Int(slot)].prev
        let next = slots[Int(slot)].next
        if prev >= 0 { slots[Int(prev)].next = next } else { head = next }
        if next >= 0 { slots[Int(next)].prev = prev } else { tail = prev }
        slots[Int(slot)].prev = -1
        slots[Int(slot)].next = -1
    }

    private mutating func linkAtFront(_ slot: Int32) {
        slots[Int(slot)].prev = -1
        slots[Int(slot)].next = head
        if head >= 0 { slots[Int(head)].prev = slot }
        head = slot
        if tail < 0 { tail = slot }
    }

    private mutating func moveToFront(_ slot: Int32) {
        guard head != slot else { return }
        unlink(slot)
        linkAtFront(slot)
    }
}
